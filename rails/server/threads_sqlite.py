"""Threads in a SQLite file (stdlib sqlite3). Calls run in a worker thread so the event loop
never blocks on disk; one connection behind a lock serializes them within the process, and
WAL mode plus a busy timeout let several server processes share the file."""
from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from pathlib import Path

from rails.server.threads import ThreadStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS thread_messages (
    thread_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (thread_id, position)
)
"""


class SQLiteThreadStore(ThreadStore):
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(str(self.path), check_same_thread=False,
                                               timeout=10, isolation_level=None)
            self._connection.execute("PRAGMA journal_mode=WAL")
            # In WAL mode this survives a crash of the process; only a power loss may drop
            # the last turns. Saves an fsync per turn.
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.execute(_SCHEMA)
        except (sqlite3.Error, OSError) as error:
            raise ValueError(f"cannot open the threads database {str(self.path)!r}: "
                             f"{error}") from error
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    async def get(self, thread_id: str) -> list[dict]:
        return await asyncio.to_thread(self._get, thread_id)

    async def append(self, thread_id: str, messages: list[dict]) -> None:
        if messages:
            await asyncio.to_thread(self._append, thread_id,
                                    [json.dumps(message) for message in messages])

    async def close(self) -> None:
        with self._lock:
            self._connection.close()

    def _get(self, thread_id: str) -> list[dict]:
        with self._lock:
            rows = self._connection.execute(
                "SELECT message FROM thread_messages WHERE thread_id = ? ORDER BY position",
                (thread_id,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def _append(self, thread_id: str, encoded: list[str]) -> None:
        with self._lock:
            connection = self._connection
            # IMMEDIATE takes the write lock before reading the next position, so two
            # processes appending to one thread cannot pick the same positions.
            connection.execute("BEGIN IMMEDIATE")
            try:
                start = connection.execute(
                    "SELECT COALESCE(MAX(position) + 1, 0) FROM thread_messages "
                    "WHERE thread_id = ?", (thread_id,)).fetchone()[0]
                connection.executemany(
                    "INSERT INTO thread_messages (thread_id, position, message) "
                    "VALUES (?, ?, ?)",
                    [(thread_id, start + offset, text) for offset, text in enumerate(encoded)])
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
