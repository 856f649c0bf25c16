"""Conversation threads kept by the server, so clients send only their new messages.

A thread is an append-only list of chat messages under a client-chosen id. Stores: SQLite (one
file, the default; several processes on one host may share it) and Redis (several hosts)."""
from __future__ import annotations

import abc
import asyncio
import weakref
from pathlib import Path
from typing import Optional


class ThreadStore(abc.ABC):
    @abc.abstractmethod
    async def get(self, thread_id: str) -> list[dict]:
        """The thread's messages, oldest first; an unknown thread is empty."""

    @abc.abstractmethod
    async def append(self, thread_id: str, messages: list[dict]) -> None:
        """Adds `messages` at the end of the thread, all or none."""

    async def close(self) -> None:
        """Releases connections; the store is not used afterwards."""

    def describe(self) -> str:
        return type(self).__name__


class ThreadLocks:
    """One asyncio lock per thread id, so two requests on the same thread in this process run
    one after the other and each sees the other's messages. Unused locks are dropped."""

    def __init__(self) -> None:
        self._locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = \
            weakref.WeakValueDictionary()

    def get(self, thread_id: str) -> asyncio.Lock:
        lock = self._locks.get(thread_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[thread_id] = lock
        return lock


def open_thread_store(*, redis_url: Optional[str] = None,
                      sqlite_path: Optional[Path] = None) -> ThreadStore:
    if redis_url:
        from rails.server.threads_redis import RedisThreadStore

        return RedisThreadStore(redis_url)
    if sqlite_path is None:
        raise ValueError("a thread store needs a SQLite file path or a Redis URL")
    from rails.server.threads_sqlite import SQLiteThreadStore

    return SQLiteThreadStore(sqlite_path)
