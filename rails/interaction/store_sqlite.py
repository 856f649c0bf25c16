"""Interaction records in a SQLite file (normally the server's threads file, in tables of
their own), through rails.sqlite_file (reads on the caller's thread, writes in a worker thread,
one at a time across processes). Compare-and-swap is one UPDATE guarded by the version."""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Optional

from rails.interaction.store import InteractionStore
from rails.sqlite_file import SQLiteFile

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS ix_records (
        key TEXT PRIMARY KEY, version INTEGER NOT NULL, value TEXT NOT NULL, expires_at REAL)""",
    """CREATE TABLE IF NOT EXISTS ix_index (
        name TEXT NOT NULL, member TEXT NOT NULL, score REAL NOT NULL,
        PRIMARY KEY (name, member))""",
    "CREATE INDEX IF NOT EXISTS ix_index_by_score ON ix_index (name, score)",
)


class SQLiteInteractionStore(InteractionStore):
    def __init__(self, path: Path):
        self._file = SQLiteFile(path, _SCHEMA, "the interactions database")
        self.path = self._file.path

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    async def get(self, key: str) -> Optional[dict]:
        return await self._file.read(_get, key)

    async def put(self, key: str, value: dict, ttl: Optional[float] = None) -> None:
        await self._file.write(_put, key, _encode(value), _expiry(ttl))

    async def add(self, key: str, value: dict, ttl: Optional[float] = None) -> bool:
        return await self._file.write(_add, key, _encode(value), _expiry(ttl))

    async def swap(self, key: str, version: int, value: dict,
                   ttl: Optional[float] = None) -> bool:
        return await self._file.write(_swap, key, version, _encode(value), _expiry(ttl))

    async def index_add(self, name: str, member: str, score: float) -> None:
        await self._file.write(_execute, "INSERT INTO ix_index (name, member, score) "
                               "VALUES (?, ?, ?) ON CONFLICT(name, member) DO UPDATE SET "
                               "score = excluded.score", (name, member, score))

    async def index_remove(self, name: str, member: str) -> None:
        await self._file.write(_execute, "DELETE FROM ix_index WHERE name = ? AND member = ?",
                               (name, member))

    async def index_members(self, name: str, max_score: Optional[float] = None,
                            limit: int = 1000) -> list[str]:
        return await self._file.read(_members, name, max_score, limit)

    async def close(self) -> None:
        self._file.close()


# -- statements (each given its connection by SQLiteFile) -------------------------------------

def _get(db: sqlite3.Connection, key: str) -> Optional[dict]:
    row = db.execute("SELECT version, value, expires_at FROM ix_records WHERE key = ?",
                     (key,)).fetchone()
    if row is None or (row[2] is not None and row[2] < time.time()):
        return None
    return {**json.loads(row[1]), "_v": row[0]}


def _put(db: sqlite3.Connection, key: str, text: str, expires: Optional[float]) -> None:
    db.execute(
        "INSERT INTO ix_records (key, version, value, expires_at) VALUES (?, 1, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET version = version + 1, value = excluded.value, "
        "expires_at = excluded.expires_at", (key, text, expires))


def _add(db: sqlite3.Connection, key: str, text: str, expires: Optional[float]) -> bool:
    # An expired record counts as absent: replace it.
    db.execute("DELETE FROM ix_records WHERE key = ? AND expires_at < ?", (key, time.time()))
    cursor = db.execute("INSERT OR IGNORE INTO ix_records (key, version, value, expires_at) "
                        "VALUES (?, 1, ?, ?)", (key, text, expires))
    return cursor.rowcount == 1


def _swap(db: sqlite3.Connection, key: str, version: int, text: str,
          expires: Optional[float]) -> bool:
    cursor = db.execute("UPDATE ix_records SET version = version + 1, value = ?, "
                        "expires_at = ? WHERE key = ? AND version = ?",
                        (text, expires, key, version))
    return cursor.rowcount == 1


def _execute(db: sqlite3.Connection, sql: str, args: tuple) -> None:
    db.execute(sql, args)


def _members(db: sqlite3.Connection, name: str, max_score: Optional[float],
             limit: int) -> list[str]:
    if max_score is None:
        rows = db.execute("SELECT member FROM ix_index WHERE name = ? ORDER BY score LIMIT ?",
                          (name, limit))
    else:
        rows = db.execute("SELECT member FROM ix_index WHERE name = ? AND score <= ? "
                          "ORDER BY score LIMIT ?", (name, max_score, limit))
    return [row[0] for row in rows.fetchall()]


def _encode(value: dict) -> str:
    return json.dumps({k: v for k, v in value.items() if k != "_v"}, default=str)


def _expiry(ttl: Optional[float]) -> Optional[float]:
    return time.time() + ttl if ttl else None
