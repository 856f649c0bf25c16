"""Declared actions in a SQLite file (stdlib sqlite3): calls run in a worker thread so the
event loop never waits on disk; WAL mode and a busy timeout let processes share the file."""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Optional

from rails.actions.declared.store import DeclaredActionStore

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
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(str(self.path), check_same_thread=False,
                                               timeout=10, isolation_level=None)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute(_SCHEMA)
        except (sqlite3.Error, OSError) as error:
            raise ValueError(f"cannot open the declared-actions database "
                             f"{str(self.path)!r}: {error}") from error
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    def _run(self, sql: str, args: tuple) -> sqlite3.Cursor:
        with self._lock:
            return self._connection.execute(sql, args)

    async def create(self, org: str, name: str, body: str) -> bool:
        cursor = await asyncio.to_thread(
            self._run, "INSERT OR IGNORE INTO declared_actions VALUES (?, ?, ?, ?)",
            (org, name, body, time.time()))
        return cursor.rowcount == 1

    async def put(self, org: str, name: str, body: str) -> bool:
        return await asyncio.to_thread(self._put, org, name, body)

    def _put(self, org: str, name: str, body: str) -> bool:
        with self._lock:
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                existed = connection.execute(
                    "SELECT 1 FROM declared_actions WHERE org_id = ? AND name = ?",
                    (org, name)).fetchone() is not None
                connection.execute(
                    "INSERT INTO declared_actions VALUES (?, ?, ?, ?) ON CONFLICT (org_id, name)"
                    " DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                    (org, name, body, time.time()))
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        return not existed

    async def get(self, org: str, name: str) -> Optional[str]:
        return await asyncio.to_thread(self.get_now, org, name)

    def get_now(self, org: str, name: str) -> Optional[str]:
        """`get` without the worker thread (a point look-up takes microseconds; the
        benchmark measures both)."""
        with self._lock:
            row = self._connection.execute(
                "SELECT body FROM declared_actions WHERE org_id = ? AND name = ?",
                (org, name)).fetchone()
        return row[0] if row else None

    async def list(self, org: str) -> list[str]:
        cursor = await asyncio.to_thread(
            self._run, "SELECT body FROM declared_actions WHERE org_id = ? ORDER BY name",
            (org,))
        return [row[0] for row in cursor.fetchall()]

    async def delete(self, org: str, name: str) -> bool:
        cursor = await asyncio.to_thread(
            self._run, "DELETE FROM declared_actions WHERE org_id = ? AND name = ?",
            (org, name))
        return cursor.rowcount == 1

    async def close(self) -> None:
        with self._lock:
            self._connection.close()
