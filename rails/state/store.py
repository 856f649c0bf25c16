"""What a thread store keeps and promises (SQLite by default, Redis for several hosts).

Per thread: the chat messages (what clients saw), the events of every turn (what the flows,
actions and prompts read back), the dialog state after the last turn, the config the thread
belongs to and a version counted up by each turn. A turn is committed whole or not at all, and
only when the thread is still at the version the turn started from: two requests on one thread
in different processes never lose an update, the later one gets `ThreadConflict` instead."""
from __future__ import annotations

import abc
import asyncio
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from rails.errors import RailsError


class ThreadConflict(RailsError):
    """The thread moved on (another request's turn was stored) while this turn ran."""

    def __init__(self, thread_id: str, expected: int, current: int):
        self.thread_id, self.expected, self.current = thread_id, expected, current
        super().__init__(
            f"thread {thread_id!r} was continued by another request while this turn ran "
            f"(it was at turn {expected}, it is now at turn {current}); this turn was not "
            "saved: send the message again to continue from the newer turn")


class ThreadConfigMismatch(RailsError):
    """A thread (or a state) made with one config was continued with another."""

    def __init__(self, what: str, owner: str, requested: str):
        self.owner, self.requested = owner, requested
        super().__init__(f"{what} belongs to config {owner!r}; this request selected "
                         f"{requested!r}. Continue it with config {owner!r}, or start a new "
                         "conversation for the other config")


@dataclass
class ThreadRecord:
    """A thread as loaded for a turn. `events` and `dialog` are None when the caller already
    holds this version (`known_version`); `legacy_messages` are the messages of a thread stored
    before threads kept dialog state (it then has no events)."""

    version: int = 0                # 0: no turn stored yet
    config_id: Optional[str] = None
    events: Optional[list] = None
    dialog: Optional[dict] = None
    legacy_messages: Optional[list] = None


class ThreadStore(abc.ABC):
    @abc.abstractmethod
    async def get(self, thread_id: str) -> list[dict]:
        """The thread's messages, oldest first; an unknown thread is empty."""

    @abc.abstractmethod
    async def load(self, thread_id: str, known_version: Optional[int] = None) -> ThreadRecord:
        """The thread's version and config, with its events and dialog state unless the
        caller holds `known_version` already (an unknown thread is version 0)."""

    @abc.abstractmethod
    async def commit(self, thread_id: str, *, expected_version: int, config_id: str,
                     messages: list[dict], events: list[dict], dialog: Optional[dict]) -> int:
        """Stores one turn: appends `messages` and `events`, replaces the dialog state and
        counts the version up, all or nothing, if the thread is still at `expected_version`
        (else raises ThreadConflict). Returns the new version."""

    @abc.abstractmethod
    async def append(self, thread_id: str, messages: list[dict]) -> None:
        """Adds `messages` at the end of the thread's messages, all or none, without touching
        its events, dialog state or version."""

    @abc.abstractmethod
    def signing_key(self) -> bytes:
        """The key that signs states sent to clients, shared by every server process using
        this store (created on first use). Called once, at start-up."""

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
        from rails.state.redis_store import RedisThreadStore

        return RedisThreadStore(redis_url)
    if sqlite_path is None:
        raise ValueError("a thread store needs a SQLite file path or a Redis URL")
    from rails.state.sqlite_store import SQLiteThreadStore

    return SQLiteThreadStore(sqlite_path)
