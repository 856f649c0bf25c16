"""Declared actions in a SQLite file (stdlib sqlite3), through rails.sqlite_file: the look-up
of every run is a read on the caller's thread, writes run in a worker thread, one at a time
across processes."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Optional

from rails.actions.declared.store import DeclaredActionStore
from rails.sqlite_file import SQLiteFile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS declared_actions (
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (org_id, name)
)
"""


class SQLiteActionStore(DeclaredActionStore):
    def __init__(self, path: str | Path):
        self._file = SQLiteFile(path, (_SCHEMA,), "the declared-actions database")
        self.path = self._file.path

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    async def create(self, org: str, name: str, body: str) -> bool:
        return await self._file.write(_create, org, name, body)

    async def put(self, org: str, name: str, body: str) -> bool:
        return await self._file.write(_put, org, name, body)

    async def get(self, org: str, name: str) -> Optional[str]:
        return await self._file.read(_get, org, name)

    async def list(self, org: str) -> list[str]:
        return await self._file.read(_list, org)

    async def delete(self, org: str, name: str) -> bool:
        return await self._file.write(_delete, org, name)

    async def close(self) -> None:
        self._file.close()


# -- statements (each given its connection by SQLiteFile) -------------------------------------

def _create(db: sqlite3.Connection, org: str, name: str, body: str) -> bool:
    cursor = db.execute("INSERT OR IGNORE INTO declared_actions VALUES (?, ?, ?, ?)",
                        (org, name, body, time.time()))
    return cursor.rowcount == 1


def _put(db: sqlite3.Connection, org: str, name: str, body: str) -> bool:
    """Creates or replaces; True when it created."""
    existed = db.execute("SELECT 1 FROM declared_actions WHERE org_id = ? AND name = ?",
                         (org, name)).fetchone() is not None
    db.execute("INSERT INTO declared_actions VALUES (?, ?, ?, ?) ON CONFLICT (org_id, name) "
               "DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
               (org, name, body, time.time()))
    return not existed


def _get(db: sqlite3.Connection, org: str, name: str) -> Optional[str]:
    row = db.execute("SELECT body FROM declared_actions WHERE org_id = ? AND name = ?",
                     (org, name)).fetchone()
    return row[0] if row else None


def _list(db: sqlite3.Connection, org: str) -> list[str]:
    rows = db.execute("SELECT body FROM declared_actions WHERE org_id = ? ORDER BY name",
                      (org,)).fetchall()
    return [row[0] for row in rows]


def _delete(db: sqlite3.Connection, org: str, name: str) -> bool:
    cursor = db.execute("DELETE FROM declared_actions WHERE org_id = ? AND name = ?",
                        (org, name))
    return cursor.rowcount == 1
