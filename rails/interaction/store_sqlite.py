"""Interaction records in a SQLite file (normally the server's threads file, in tables of
their own). Calls run in a worker thread; WAL mode and a busy timeout let several server
processes share the file, and compare-and-swap is one UPDATE guarded by the version."""
from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Optional

from rails.interaction.store import InteractionStore

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
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=10,
                                       isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                self._db.execute(statement)
        except (sqlite3.Error, OSError) as error:
            raise ValueError(f"cannot open the interactions database {str(self.path)!r}: "
                             f"{error}") from error
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    async def _run(self, fn, *args):
        return await asyncio.to_thread(self._locked, fn, *args)

    def _locked(self, fn, *args):
        with self._lock:
            return fn(*args)

    async def get(self, key: str) -> Optional[dict]:
        return await self._run(self._get, key)

    def _get(self, key: str) -> Optional[dict]:
        row = self._db.execute("SELECT version, value, expires_at FROM ix_records WHERE key = ?",
                               (key,)).fetchone()
        if row is None or (row[2] is not None and row[2] < time.time()):
            return None
        return {**json.loads(row[1]), "_v": row[0]}

    async def put(self, key: str, value: dict, ttl: Optional[float] = None) -> None:
        await self._run(self._put, key, _encode(value), _expiry(ttl))

    def _put(self, key: str, text: str, expires: Optional[float]) -> None:
        self._db.execute(
            "INSERT INTO ix_records (key, version, value, expires_at) VALUES (?, 1, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET version = version + 1, value = excluded.value, "
            "expires_at = excluded.expires_at", (key, text, expires))

    async def add(self, key: str, value: dict, ttl: Optional[float] = None) -> bool:
        return await self._run(self._add, key, _encode(value), _expiry(ttl))

    def _add(self, key: str, text: str, expires: Optional[float]) -> bool:
        # An expired record counts as absent: replace it.
        self._db.execute("DELETE FROM ix_records WHERE key = ? AND expires_at < ?",
                         (key, time.time()))
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO ix_records (key, version, value, expires_at) "
            "VALUES (?, 1, ?, ?)", (key, text, expires))
        return cursor.rowcount == 1

    async def swap(self, key: str, version: int, value: dict,
                   ttl: Optional[float] = None) -> bool:
        return await self._run(self._swap, key, version, _encode(value), _expiry(ttl))

    def _swap(self, key: str, version: int, text: str, expires: Optional[float]) -> bool:
        cursor = self._db.execute(
            "UPDATE ix_records SET version = version + 1, value = ?, expires_at = ? "
            "WHERE key = ? AND version = ?", (text, expires, key, version))
        return cursor.rowcount == 1

    async def index_add(self, name: str, member: str, score: float) -> None:
        await self._run(lambda: self._db.execute(
            "INSERT INTO ix_index (name, member, score) VALUES (?, ?, ?) "
            "ON CONFLICT(name, member) DO UPDATE SET score = excluded.score",
            (name, member, score)))

    async def index_remove(self, name: str, member: str) -> None:
        await self._run(lambda: self._db.execute(
            "DELETE FROM ix_index WHERE name = ? AND member = ?", (name, member)))

    async def index_members(self, name: str, max_score: Optional[float] = None,
                            limit: int = 1000) -> list[str]:
        def select() -> list[str]:
            if max_score is None:
                rows = self._db.execute("SELECT member FROM ix_index WHERE name = ? "
                                        "ORDER BY score LIMIT ?", (name, limit))
            else:
                rows = self._db.execute("SELECT member FROM ix_index WHERE name = ? AND "
                                        "score <= ? ORDER BY score LIMIT ?",
                                        (name, max_score, limit))
            return [row[0] for row in rows.fetchall()]

        return await self._run(select)

    async def close(self) -> None:
        with self._lock:
            self._db.close()


def _encode(value: dict) -> str:
    return json.dumps({k: v for k, v in value.items() if k != "_v"}, default=str)


def _expiry(ttl: Optional[float]) -> Optional[float]:
    return time.time() + ttl if ttl else None
