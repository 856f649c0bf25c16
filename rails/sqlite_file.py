"""One SQLite file as the server's stores use it (threads, interactive records, declared
actions; several may share a file, each with tables of its own).

- WAL mode, so readers never wait for a writer, and `synchronous=NORMAL`: a commit survives a
  crash of the process, only a power loss may drop the last ones, and no fsync per write.
- Reads run on the caller's thread, on a connection of that thread's own: a read of a few
  rows takes microseconds in WAL mode, several times less than handing it to a worker thread
  (which was most of a server turn's store cost). Should the file be locked for a moment (a
  checkpoint, a recovery), the read waits in a worker thread instead of on the event loop.
- Writes run in a worker thread, one transaction at a time per file: a lock in this process
  and an exclusive `flock` on `<file>.lock` across processes. Writers queued on the flock
  wake as soon as it is released, where SQLite's own busy timeout sleeps and polls
  (1 ms, 2 ms, 5 ms, ...), which left two server workers idle half the time."""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's busy timeout alone orders the processes
    fcntl = None

T = TypeVar("T")
# How long a write waits for another process's lock before it fails, in seconds.
BUSY_TIMEOUT = 10


class SQLiteFile:
    def __init__(self, path: str | Path, schema: Iterable[str], what: str):
        """Opens (creating) `path` with `schema` applied; `what` names the database in errors
        ("the threads database")."""
        self.path = Path(path)
        self.what = what
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = self._connect(BUSY_TIMEOUT)
            self._writer.execute("PRAGMA journal_mode=WAL")
            for statement in schema:
                self._writer.execute(statement)
            self._lock_file = (open(self.path.with_name(self.path.name + ".lock"), "a")
                               if fcntl is not None else None)
        except (sqlite3.Error, OSError) as error:
            raise ValueError(f"cannot open {what} {str(self.path)!r}: {error}") from error
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._closed = False

    def _connect(self, timeout: float) -> sqlite3.Connection:
        connection = sqlite3.connect(str(self.path), check_same_thread=False,
                                     timeout=timeout, isolation_level=None)
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)` on a read connection; for a consistent view over several
        statements `fn` opens a transaction (`BEGIN` ... `COMMIT`) itself."""
        reader = self._reader()
        if reader is not None:
            try:
                return fn(reader, *args)
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                if reader.in_transaction:
                    reader.execute("ROLLBACK")
        return await asyncio.to_thread(self._read_waiting, fn, *args)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)` in one `BEGIN IMMEDIATE` transaction, committed when it
        returns and rolled back when it raises."""
        return await asyncio.to_thread(self.write_now, fn, *args)

    def write_now(self, fn: Callable[..., T], *args: Any) -> T:
        """`write` on the calling thread (for callers already on a worker thread)."""
        with self._write_lock, self._file_lock():
            connection = self._writer
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = fn(connection, *args)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result

    def close(self) -> None:
        with self._write_lock:
            self._closed = True
            self._writer.close()
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            if self._lock_file is not None:
                self._lock_file.close()

    # -- internals ---------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection | None:
        """This thread's read connection, which fails at once instead of waiting on a lock."""
        reader = getattr(self._local, "reader", None)
        if reader is None and not self._closed:
            reader = self._local.reader = self._connect(0)
            with self._write_lock:
                self._readers.append(reader)
        return reader

    def _read_waiting(self, fn: Callable[..., T], *args: Any) -> T:
        with self._write_lock:
            return fn(self._writer, *args)

    @contextlib.contextmanager
    def _file_lock(self):
        if self._lock_file is None:
            yield
            return
        fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
