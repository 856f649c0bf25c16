"""rails.sqlite_file: reads never wait for another process's write, writes wait off the event
loop, and writers of several processes take turns without losing a write."""
from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time

import pytest

from rails.server.threads_sqlite import SQLiteThreadStore
from rails.sqlite_file import SQLiteFile

SCHEMA = ("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
          "INSERT OR IGNORE INTO counter VALUES (1, 0)")


# Another process in the middle of a long write transaction: it holds the lock until its
# standard input closes.
HOLD_WRITE_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
connection.execute("UPDATE counter SET n = n + 1000")
print("held", flush=True)
sys.stdin.read()
connection.execute("COMMIT")
"""
INCREMENT_MANY = """
import sys
from rails.sqlite_file import SQLiteFile
SCHEMA = %r
def increment(connection):
    (n,) = connection.execute("SELECT n FROM counter WHERE id = 1").fetchone()
    connection.execute("UPDATE counter SET n = ? WHERE id = 1", (n + 1,))
file = SQLiteFile(sys.argv[1], SCHEMA, "the test database")
for _ in range(int(sys.argv[2])):
    file.write_now(increment)
file.close()
""" % (SCHEMA,)


def _increment(connection: sqlite3.Connection) -> int:
    (n,) = connection.execute("SELECT n FROM counter WHERE id = 1").fetchone()
    connection.execute("UPDATE counter SET n = ? WHERE id = 1", (n + 1,))
    return n + 1


def _read(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT n FROM counter WHERE id = 1").fetchone()[0]


async def test_a_read_does_not_wait_for_another_process_writing(tmp_path):
    path = str(tmp_path / "data.db")
    file = SQLiteFile(path, SCHEMA, "the test database")
    writer = subprocess.Popen([sys.executable, "-c", HOLD_WRITE_LOCK, path],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "held"
        started = time.monotonic()
        assert await file.read(_read) == 0  # the last committed value, at once
        assert time.monotonic() - started < 0.5

        # A write waits for the other process without holding up the loop.
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        write = asyncio.create_task(file.write(_increment))
        await asyncio.sleep(0.3)
        assert not write.done()
        assert ticks >= 10
        writer.stdin.close()  # the other process commits
        assert await asyncio.wait_for(write, 15) == 1001
        ticker.cancel()
    finally:
        if not writer.stdin.closed:
            writer.stdin.close()
        writer.wait(30)
        file.close()


async def test_writers_of_several_processes_lose_nothing(tmp_path):
    path = str(tmp_path / "data.db")
    file = SQLiteFile(path, SCHEMA, "the test database")
    workers = [subprocess.Popen([sys.executable, "-c", INCREMENT_MANY, path, "200"])
               for _ in range(3)]
    for _ in range(200):
        await file.write(_increment)
    for worker in workers:
        assert worker.wait(60) == 0
    assert await file.read(_read) == 800
    file.close()


async def test_a_failed_write_is_rolled_back(tmp_path):
    file = SQLiteFile(tmp_path / "data.db", SCHEMA, "the test database")

    def half_then_fail(connection: sqlite3.Connection) -> None:
        _increment(connection)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await file.write(half_then_fail)
    assert await file.read(_read) == 0
    assert await file.write(_increment) == 1
    file.close()


async def test_a_thread_store_serves_turns_while_another_process_writes(tmp_path):
    """The thread store's loads use the read path: a thread's state is read while another
    process holds the write lock."""
    path = tmp_path / "threads.db"
    store = SQLiteThreadStore(path)
    await store.commit("t" * 16, expected_version=0, config_id="c",
                       messages=[{"role": "user", "content": "hi"}],
                       events=[{"type": "UserMessage", "text": "hi"}], dialog={"k": 1})
    connection = sqlite3.connect(str(path), isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        record = await asyncio.wait_for(store.load("t" * 16), 1)
        assert (record.version, record.config_id, record.dialog) == (1, "c", {"k": 1})
        assert record.events == [{"type": "UserMessage", "text": "hi"}]
    finally:
        connection.execute("ROLLBACK")
        connection.close()
    await store.close()


def test_an_unopenable_file_names_the_database(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ValueError, match=r"cannot open the test database .*x\.db"):
        SQLiteFile(blocker / "x.db", SCHEMA, "the test database")


async def test_writes_on_the_callers_thread_are_checkpointed(tmp_path):
    """Writes that run on the event loop never checkpoint there; the checkpoints made for
    them in a worker thread keep the write-ahead log from growing without end."""
    path = tmp_path / "data.db"
    file = SQLiteFile(path, ("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)",),
                      "the test database")

    def insert(connection: sqlite3.Connection, data: bytes) -> None:
        connection.execute("INSERT INTO blobs (data) VALUES (?)", (data,))

    for count in range(4000):
        await file.write(insert, b"x" * 4096)  # 16 MB in all
        if count % 100 == 0:
            await asyncio.sleep(0.02)  # the pauses a server's loop has between requests
    # The log is started over after checkpoints (a log never started over holds all 16 MB);
    # how far it grows in between depends on how fast this machine checkpoints.
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size < 8 * 1024 * 1024
    assert await file.read(lambda db: db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0]) \
        == 4000
    file.close()


async def test_writes_queued_behind_another_process_all_land_in_order(tmp_path):
    """Writes that find the file locked wait in one queue: none is lost (not even one whose
    caller gave up), they land in the order they were made, and a write made after them does
    not overtake them."""
    path = str(tmp_path / "data.db")
    file = SQLiteFile(path, SCHEMA + ("CREATE TABLE log (n INTEGER)",), "the test database")
    writer = subprocess.Popen([sys.executable, "-c", HOLD_WRITE_LOCK, path],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def append(connection: sqlite3.Connection, n: int) -> int:
        connection.execute("INSERT INTO log VALUES (?)", (n,))
        return n

    try:
        assert writer.stdout.readline().strip() == "held"
        waiting = [asyncio.create_task(file.write(append, n)) for n in range(50)]
        await asyncio.sleep(0.2)
        assert not any(task.done() for task in waiting)
        waiting[10].cancel()  # its caller gives up; the write was queued and still lands
        writer.stdin.close()
        results = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 15)
        assert isinstance(results[10], asyncio.CancelledError)
        assert results[:10] + results[11:] == [n for n in range(50) if n != 10]
        assert await file.write(append, 50) == 50
        rows = await file.read(lambda db: db.execute("SELECT n FROM log ORDER BY rowid").fetchall())
        assert [n for (n,) in rows] == list(range(51))
        assert await file.read(_read) == 1000  # the other process's write landed too
    finally:
        if not writer.stdin.closed:
            writer.stdin.close()
        writer.wait(30)
        file.close()
