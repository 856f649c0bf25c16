"""Threads in a SQLite file (stdlib sqlite3, through rails.sqlite_file: reads on the caller's
thread, writes in a worker thread, one at a time across processes). A turn is one
`BEGIN IMMEDIATE` transaction that checks the thread's version before writing anything."""
from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path
from typing import Optional

from rails.sqlite_file import SQLiteFile
from rails.state.encoding import deflate, dumps, loads, unpack
from rails.state.store import ThreadConflict, ThreadRecord, ThreadStore

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS thread_messages (
        thread_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (thread_id, position))""",
    # One row per thread: its config, how many turns are stored, the dialog state after the
    # last one.
    """CREATE TABLE IF NOT EXISTS thread_state (
        thread_id TEXT PRIMARY KEY,
        config_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        dialog TEXT)""",
    # One row per turn: the events it added, as one JSON array (deflated).
    """CREATE TABLE IF NOT EXISTS thread_events (
        thread_id TEXT NOT NULL,
        turn INTEGER NOT NULL,
        events BLOB NOT NULL,
        PRIMARY KEY (thread_id, turn))""",
)


class SQLiteThreadStore(ThreadStore):
    def __init__(self, path: Path):
        self._file = SQLiteFile(path, _SCHEMA, "the threads database")
        self.path = self._file.path

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    @property
    def key_path(self) -> Path:
        return self.path.with_name(self.path.name + ".state-key")

    def signing_key(self) -> bytes:
        """Kept in `<threads db>.state-key` (mode 0600), created atomically by the first
        process that needs it, so every worker on this file signs alike."""
        return read_or_create_key_file(self.key_path)

    async def get(self, thread_id: str) -> list[dict]:
        return await self._file.read(_messages, thread_id)

    async def load(self, thread_id: str, known_version: Optional[int] = None) -> ThreadRecord:
        return await self._file.read(_load, thread_id, known_version)

    async def commit(self, thread_id: str, *, expected_version: int, config_id: str,
                     messages: list[dict], events: list[dict], dialog: Optional[dict]) -> int:
        # Encoded as the turn left them, before the write lock is taken.
        return await self._file.write(
            _commit, thread_id, expected_version, config_id,
            [dumps(message) for message in messages], deflate(dumps(events).encode()),
            None if dialog is None else dumps(dialog))

    async def append(self, thread_id: str, messages: list[dict]) -> None:
        if messages:
            await self._file.write(_insert_messages, thread_id,
                                   [dumps(message) for message in messages])

    async def close(self) -> None:
        self._file.close()


# -- statements (each given its connection by SQLiteFile) -------------------------------------

def _messages(connection: sqlite3.Connection, thread_id: str) -> list[dict]:
    rows = connection.execute(
        "SELECT message FROM thread_messages WHERE thread_id = ? ORDER BY position",
        (thread_id,)).fetchall()
    return [loads(row[0]) for row in rows]


def _load(connection: sqlite3.Connection, thread_id: str,
          known_version: Optional[int]) -> ThreadRecord:
    row = connection.execute(
        "SELECT version, config_id FROM thread_state WHERE thread_id = ?",
        (thread_id,)).fetchone()
    if row is None:
        return ThreadRecord(legacy_messages=_messages(connection, thread_id) or None)
    version, config_id = row
    if version == known_version:
        return ThreadRecord(version, config_id)
    # One read transaction, so the events and the state are of the same version.
    connection.execute("BEGIN")
    try:
        version, config_id, dialog = connection.execute(
            "SELECT version, config_id, dialog FROM thread_state WHERE thread_id = ?",
            (thread_id,)).fetchone()
        turns = connection.execute(
            "SELECT events FROM thread_events WHERE thread_id = ? ORDER BY turn",
            (thread_id,)).fetchall()
    finally:
        connection.execute("COMMIT")
    events: list[dict] = []
    for (text,) in turns:
        events.extend(unpack(text))
    return ThreadRecord(version, config_id, events, None if dialog is None else loads(dialog))


def _commit(connection: sqlite3.Connection, thread_id: str, expected: int, config_id: str,
            messages: list[str], events: bytes, dialog: Optional[str]) -> int:
    # IMMEDIATE (SQLiteFile.write) takes the write lock before the version is read, so two
    # processes cannot both see the same version and both write.
    row = connection.execute("SELECT version FROM thread_state WHERE thread_id = ?",
                             (thread_id,)).fetchone()
    current = row[0] if row is not None else 0
    if current != expected:
        raise ThreadConflict(thread_id, expected, current)
    version = current + 1
    if messages:
        _insert_messages(connection, thread_id, messages)
    connection.execute("INSERT INTO thread_events (thread_id, turn, events) VALUES (?, ?, ?)",
                       (thread_id, version, events))
    connection.execute(
        "INSERT INTO thread_state (thread_id, config_id, version, dialog) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (thread_id) DO UPDATE SET "
        "version = excluded.version, dialog = excluded.dialog",
        (thread_id, config_id, version, dialog))
    return version


def _insert_messages(connection: sqlite3.Connection, thread_id: str,
                     encoded: list[str]) -> None:
    start = connection.execute(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM thread_messages WHERE thread_id = ?",
        (thread_id,)).fetchone()[0]
    connection.executemany(
        "INSERT INTO thread_messages (thread_id, position, message) VALUES (?, ?, ?)",
        [(thread_id, start + offset, text) for offset, text in enumerate(encoded)])


def read_or_create_key_file(path: Path) -> bytes:
    """The key in `path`; when there is none, a new random one written there first. Written
    to a private temporary file and linked into place, so a process racing this one reads
    either nothing or the whole key, and both end up with the same one."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        text = ""
    except OSError as error:
        raise ValueError(f"cannot read the state signing key {str(path)!r}: {error}") from error
    if text:
        return text.encode()
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: use its key
    except OSError as error:
        raise ValueError(f"cannot create the state signing key {str(path)!r}: "
                         f"{error}") from error
    finally:
        try:
            os.unlink(temporary)
        except OSError:
            pass
    key = path.read_text().strip()
    if not key:
        raise ValueError(f"the state signing key file {str(path)!r} is empty; delete it to "
                         "have a new key made, or write one into it")
    return key.encode()
