"""Declared actions in a SQLite file (stdlib sqlite3); WAL mode and a busy timeout let
processes share the file.

Writes run in a worker thread, so the event loop never waits for another process's write
lock. Point reads (the look-up of every run) take microseconds and, in WAL mode, never wait
for writers: they run on the caller's thread on a connection of their own, which is 15x
cheaper than the thread hop; should that connection be busy (another thread reading) or the
file locked, the read goes to a worker thread like the writes."""
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


_GET = "SELECT body FROM declared_actions WHERE org_id = ? AND name = ?"


class SQLiteActionStore(DeclaredActionStore):
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(str(self.path), check_same_thread=False,
                                               timeout=10, isolation_level=None)
            self._connection.execute("PRAGMA journal_mode=WAL")
            # In WAL mode this survives a crash of the process; only a power loss may drop
            # the last writes. Saves an fsync per write.
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.execute(_SCHEMA)
            self._reader = sqlite3.connect(str(self.path), check_same_thread=False,
                                           timeout=0, isolation_level=None)
        except (sqlite3.Error, OSError) as error:
            raise ValueError(f"cannot open the declared-actions database "
                             f"{str(self.path)!r}: {error}") from error
        self._lock = threading.Lock()
        self._read_lock = threading.Lock()

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
        if self._read_lock.acquire(blocking=False):
            try:
                row = self._reader.execute(_GET, (org, name)).fetchone()
                return row[0] if row else None
            except sqlite3.OperationalError:  # locked for a moment: wait in a thread
                pass
            finally:
                self._read_lock.release()
        return await asyncio.to_thread(self._get_waiting, org, name)

    def _get_waiting(self, org: str, name: str) -> Optional[str]:
        with self._lock:
            row = self._connection.execute(_GET, (org, name)).fetchone()
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
        with self._lock, self._read_lock:
            self._connection.close()
            self._reader.close()
