"""One SQLite file as the server's stores use it (threads, interactive records, declared
actions; several may share a file, each with tables of its own).

- WAL mode, so readers never wait for a writer, and `synchronous=NORMAL`: a commit survives a
  crash of the process, only a power loss may drop the last ones, and no fsync per write.
- Reads run on the caller's thread, on a connection of that thread's own: a read of a few
  rows takes microseconds in WAL mode, several times less than handing it to a worker thread
  (which was most of a server turn's store cost). Should the file be locked for a moment (a
  checkpoint, a recovery), the read waits in a worker thread instead of on the event loop.
- Writes are one transaction at a time per file: a lock in this process and an exclusive
  `flock` on `<file>.lock` across processes. Writers queued on the flock wake as soon as it
  is released, where SQLite's own busy timeout sleeps and polls (1 ms, 2 ms, 5 ms, ...),
  which left two server workers idle half the time.
- An async write runs on the caller's thread when nothing stands in its way (no write of this
  process queued, both locks free at once, SQLite's lock taken without waiting): with
  `synchronous=NORMAL` a commit is a few page writes to the OS cache, cheaper than a thread
  hop. That connection never checkpoints (a checkpoint syncs to disk); every
  CHECKPOINT_EVERY of its commits a checkpoint runs in a worker thread.
- Otherwise the write joins this file's queue, which one writer thread works off: it waits
  for the locks once, then commits every write queued by then (each its own transaction)
  before letting go. A thread per waiting write made a convoy: each handed the lock to the
  next only once it got the GIL back from the busy event loop (up to the interpreter's 5 ms
  switch interval), and with two server workers writes queued for 40-80 ms. Retrying from
  the loop was worse when it was saturated: every retry waited behind all the other
  requests' work, so a few retries cost seconds."""
from __future__ import annotations

import asyncio
import contextlib
import queue
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
# Commits on the caller's thread between two checkpoints (SQLite's own default is about
# every 1,000 pages, a few hundred turns).
CHECKPOINT_EVERY = 200


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
        self._inline_writer: sqlite3.Connection | None = None
        self._inline_commits = 0
        self._checkpointing = False  # one checkpoint thread at a time
        self._closed = False
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._queued = 0  # writes queued and not settled yet (counted on the event loop)
        self._queue_worker: threading.Thread | None = None

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
                if not _is_busy(error):
                    raise
                if reader.in_transaction:
                    reader.execute("ROLLBACK")
        return await asyncio.to_thread(self._read_waiting, fn, *args)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)` in one `BEGIN IMMEDIATE` transaction, committed when it
        returns and rolled back when it raises."""
        if not self._queued:  # (else this write would overtake the queued ones)
            done, result = self._write_without_waiting(fn, args)
            if done:
                return result
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._enqueue((fn, args, future, loop))
        self._queued += 1  # until the writer thread settles it (a cancelled caller included)
        return await future

    def write_now(self, fn: Callable[..., T], *args: Any) -> T:
        """`write` on the calling thread, waiting for the locks (for callers already on a
        worker thread)."""
        with self._write_lock, self._file_lock():
            return _transaction(self._writer, fn, args)

    def close(self) -> None:
        if self._queue_worker is not None:
            self._queue.put(None)  # after the writes queued before it
            self._queue_worker.join()
        with self._write_lock:
            self._closed = True
            self._writer.close()
            if self._inline_writer is not None:
                self._inline_writer.close()
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

    def _write_without_waiting(self, fn: Callable[..., T], args: tuple) -> tuple[bool, Any]:
        """(True, result) when the write could run here and now; (False, None) when a lock
        was taken."""
        if self._closed or not self._write_lock.acquire(blocking=False):
            return False, None
        try:
            if not self._try_file_lock():
                return False, None
            try:
                connection = self._inline_writer
                if connection is None:
                    connection = self._inline_writer = self._connect(0)
                    connection.execute("PRAGMA wal_autocheckpoint=0")
                try:
                    result = _transaction(connection, fn, args)
                except sqlite3.OperationalError as error:
                    if not _is_busy(error):
                        raise
                    return False, None  # another process's own write: try again later
            finally:
                self._unlock_file()
        finally:
            self._write_lock.release()
        self._inline_commits += 1
        if self._inline_commits % CHECKPOINT_EVERY == 0 and not self._checkpointing:
            self._checkpointing = True
            threading.Thread(target=self._checkpoint, name="sqlite-checkpoint",
                             daemon=True).start()
        return True, result

    def _enqueue(self, item: tuple) -> None:
        if self._closed:
            raise ValueError(f"{self.what} {str(self.path)!r} is closed")
        if self._queue_worker is None:
            self._queue_worker = threading.Thread(target=self._work_off_queue, daemon=True,
                                                  name=f"sqlite-writer {self.path.name}")
            self._queue_worker.start()
        self._queue.put(item)

    def _work_off_queue(self) -> None:
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get())
            stop = None in batch
            batch = [item for item in batch if item is not None]
            done = 0
            try:
                if not batch:
                    return
                with self._write_lock, self._file_lock():
                    for fn, args, future, loop in batch:
                        try:
                            outcome = (True, _transaction(self._writer, fn, args))
                        except BaseException as error:  # the caller's to handle
                            outcome = (False, error)
                        self._settle_soon(future, loop, outcome)
                        done += 1
            except BaseException as error:  # (the locks): the rest of the batch not written
                for _, _, future, loop in batch[done:]:
                    self._settle_soon(future, loop, (False, error))
            if stop:
                return

    def _settle_soon(self, future: asyncio.Future, loop: asyncio.AbstractEventLoop,
                     outcome: tuple[bool, Any]) -> None:
        def settle() -> None:
            self._queued -= 1
            if future.done():  # the caller was cancelled; the write itself was made
                return
            ok, value = outcome
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

        try:
            loop.call_soon_threadsafe(settle)
        except RuntimeError:
            pass  # that loop is closed: nobody waits for this write

    def _checkpoint(self) -> None:
        # First without the write lock, on a connection of its own: the bulk of the copying
        # and its sync to disk (tens of ms) must not hold up this process's writes. Then,
        # under the lock, the few pages written meanwhile: only a checkpoint that reaches the
        # end of the log lets the next write start the log over, so it stays bounded.
        # Busy (another process checkpointing): the next one catches up.
        try:
            connection = self._connect(0)
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                with self._write_lock:
                    if not self._closed:
                        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                connection.close()
        except sqlite3.Error:
            pass
        finally:
            self._checkpointing = False

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
            self._unlock_file()

    def _try_file_lock(self) -> bool:
        if self._lock_file is None:
            return True
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock_file(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)


def _transaction(connection: sqlite3.Connection, fn: Callable[..., T], args: tuple) -> T:
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = fn(connection, *args)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return result


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)
