"""The thread stores' turn contract (SQLite, Redis through fakeredis and a real redis-server):
a turn is committed whole or not at all, only on top of the version it started from, and the
signing key is shared by every store on the same file or Redis."""
from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import threading

import pytest

from rails.state.redis_store import RedisThreadStore
from rails.state.sqlite_store import SQLiteThreadStore, read_or_create_key_file
from rails.state.store import ThreadConflict, open_thread_store

THREAD = "thread-" + "0" * 16
EVENTS_1 = [{"type": "UtteranceUserActionFinished", "final_transcript": "start"},
            {"type": "ContextUpdate", "data": {"n": 0, "big": 2 ** 70}}]
EVENTS_2 = [{"type": "UtteranceUserActionFinished", "final_transcript": "more"}]
MESSAGES = [{"role": "user", "content": "start"}, {"role": "assistant", "content": "0"}]


async def _check_turn_contract(store) -> None:
    fresh = await store.load(THREAD)
    assert (fresh.version, fresh.config_id, fresh.legacy_messages) == (0, None, None)
    version = await store.commit(THREAD, expected_version=0, config_id="counter",
                                 messages=MESSAGES, events=EVENTS_1, dialog={"v": 1, "n": 0})
    assert version == 1
    loaded = await store.load(THREAD)
    assert (loaded.version, loaded.config_id) == (1, "counter")
    assert loaded.events == EVENTS_1 and loaded.dialog == {"v": 1, "n": 0}
    assert (await store.load(THREAD, known_version=1)).events is None  # the caller has them
    # A turn that started from version 0 too comes too late: nothing of it is written.
    with pytest.raises(ThreadConflict, match="continued by another request") as conflict:
        await store.commit(THREAD, expected_version=0, config_id="counter",
                           messages=[{"role": "user", "content": "lost"}], events=EVENTS_2,
                           dialog={"v": 1, "n": 5})
    assert (conflict.value.expected, conflict.value.current) == (0, 1)
    assert await store.get(THREAD) == MESSAGES
    assert await store.commit(THREAD, expected_version=1, config_id="counter",
                              messages=[{"role": "user", "content": "more"}], events=EVENTS_2,
                              dialog={"v": 1, "n": 1}) == 2
    again = await store.load(THREAD, known_version=1)
    assert again.events == EVENTS_1 + EVENTS_2 and again.dialog == {"v": 1, "n": 1}
    assert len(await store.get(THREAD)) == 3
    # A thread stored before threads kept state: its messages come back as legacy history.
    await store.append("legacy-" + "1" * 16, MESSAGES)
    legacy = await store.load("legacy-" + "1" * 16)
    assert legacy.version == 0 and legacy.legacy_messages == MESSAGES


async def _race(stores) -> list:
    """Each store commits a turn on top of version 0 at the same moment."""
    async def attempt(store, number):
        try:
            return await store.commit("race-" + "2" * 16, expected_version=0,
                                      config_id="counter", messages=[], events=EVENTS_1,
                                      dialog={"who": number})
        except ThreadConflict:
            return "conflict"
    return await asyncio.gather(*[attempt(store, n) for n, store in enumerate(stores)])


async def test_sqlite_turn_contract(tmp_path):
    store = SQLiteThreadStore(tmp_path / "threads.db")
    await _check_turn_contract(store)
    await store.close()


async def test_sqlite_turns_race_across_connections_and_one_wins(tmp_path):
    stores = [SQLiteThreadStore(tmp_path / "shared.db") for _ in range(4)]
    outcomes = await _race(stores)
    assert sorted(map(str, outcomes)) == ["1", "conflict", "conflict", "conflict"]
    loaded = await stores[0].load("race-" + "2" * 16)
    assert loaded.version == 1 and loaded.dialog == {"who": outcomes.index(1)}
    for store in stores:
        await store.close()


async def test_sqlite_turn_failing_midway_writes_nothing(tmp_path):
    path = tmp_path / "threads.db"
    store = SQLiteThreadStore(path)
    # A stray row makes the events insert fail after the messages were inserted.
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO thread_events VALUES (?, 1, '[]')", (THREAD,))
    with pytest.raises(sqlite3.IntegrityError):
        await store.commit(THREAD, expected_version=0, config_id="counter",
                           messages=MESSAGES, events=EVENTS_1, dialog=None)
    assert await store.get(THREAD) == []
    assert (await store.load(THREAD)).version == 0
    await store.close()


def test_sqlite_signing_key_is_private_and_shared_by_every_store_on_the_file(tmp_path):
    first = SQLiteThreadStore(tmp_path / "threads.db")
    second = SQLiteThreadStore(tmp_path / "threads.db")
    key = first.signing_key()
    assert len(key) == 64 and second.signing_key() == key
    assert stat.S_IMODE(os.stat(first.key_path).st_mode) == 0o600
    assert SQLiteThreadStore(tmp_path / "other.db").signing_key() != key


def test_a_key_file_created_by_racing_processes_is_one_key(tmp_path):
    path = tmp_path / "racing.key"
    keys, barrier = [], threading.Barrier(8)

    def create():
        barrier.wait()
        keys.append(read_or_create_key_file(path))

    workers = [threading.Thread(target=create) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(set(keys)) == 1 and len(keys) == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["racing.key"]  # no temporary left


def test_an_empty_key_file_is_named(tmp_path):
    (tmp_path / "empty.key").write_text("")
    with pytest.raises(ValueError, match="empty.key.*is empty"):
        read_or_create_key_file(tmp_path / "empty.key")


async def test_redis_turn_contract_with_fakeredis():
    fakeredis = pytest.importorskip("fakeredis")
    store = RedisThreadStore("redis://fake", client=fakeredis.FakeAsyncRedis())
    await _check_turn_contract(store)
    await store.close()


async def test_redis_turn_contract_race_and_key_with_a_real_server(redis_server):
    store = open_thread_store(redis_url=redis_server)
    await _check_turn_contract(store)
    stores = [open_thread_store(redis_url=redis_server) for _ in range(4)]
    outcomes = await _race(stores)
    assert sorted(map(str, outcomes)) == ["1", "conflict", "conflict", "conflict"]
    assert store.signing_key() == stores[1].signing_key() and len(store.signing_key()) == 64
    for each in [store, *stores]:
        await each.close()
