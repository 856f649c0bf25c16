"""The thread stores on their own: order, isolation, persistence, concurrent appends."""
from __future__ import annotations

import asyncio
import threading

import pytest

from rails.server.threads import open_thread_store
from rails.server.threads_redis import RedisThreadStore
from rails.server.threads_sqlite import SQLiteThreadStore


async def _check_contract(store) -> None:
    assert await store.get("a" * 16) == []
    await store.append("a" * 16, [{"role": "user", "content": "1"},
                                  {"role": "assistant", "content": "2"}])
    await store.append("b" * 16, [{"role": "user", "content": "other"}])
    await store.append("a" * 16, [{"role": "user", "content": "3"}])
    await store.append("a" * 16, [])
    assert [m["content"] for m in await store.get("a" * 16)] == ["1", "2", "3"]
    assert await store.get("b" * 16) == [{"role": "user", "content": "other"}]
    await asyncio.gather(*[store.append("c" * 16, [{"role": "user", "content": str(n)}])
                           for n in range(20)])
    assert sorted(int(m["content"]) for m in await store.get("c" * 16)) == list(range(20))


async def test_sqlite_store_contract_and_persistence(tmp_path):
    path = tmp_path / "nested" / "threads.db"
    store = SQLiteThreadStore(path)
    await _check_contract(store)
    await store.close()
    reopened = open_thread_store(sqlite_path=path)
    assert [m["content"] for m in await reopened.get("a" * 16)] == ["1", "2", "3"]
    assert "threads.db" in reopened.describe()
    await reopened.close()


async def test_sqlite_store_shared_by_two_connections(tmp_path):
    """Two stores on one file stand for two server processes appending at once."""
    path = tmp_path / "shared.db"
    first, second = SQLiteThreadStore(path), SQLiteThreadStore(path)

    def append_many(store, label):
        loop = asyncio.new_event_loop()
        for n in range(25):
            loop.run_until_complete(store.append("t" * 16, [{"role": "user",
                                                            "content": f"{label}{n}"}]))
        loop.close()

    workers = [threading.Thread(target=append_many, args=(store, label))
               for store, label in ((first, "x"), (second, "y"))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    stored = [m["content"] for m in await first.get("t" * 16)]
    assert len(stored) == 50
    assert [c for c in stored if c[0] == "x"] == [f"x{n}" for n in range(25)]
    await first.close()
    await second.close()


def test_sqlite_store_names_an_unusable_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="threads database"):
        SQLiteThreadStore(blocker / "threads.db")


def test_open_thread_store_needs_a_target():
    with pytest.raises(ValueError, match="SQLite file path or a Redis URL"):
        open_thread_store()


async def test_redis_store_contract_with_fakeredis():
    fakeredis = pytest.importorskip(
        "fakeredis", reason="fakeredis is not installed; the Redis store is then only "
                            "tested against a redis-server binary")
    store = RedisThreadStore("redis://fake", client=fakeredis.FakeAsyncRedis())
    await _check_contract(store)
    await store.close()


def test_redis_store_rejects_a_bad_url():
    with pytest.raises(ValueError, match="invalid Redis URL"):
        RedisThreadStore("http://not-redis")


async def test_redis_store_contract_with_a_real_server(redis_server):
    store = open_thread_store(redis_url=redis_server)
    await _check_contract(store)
    await store.close()
