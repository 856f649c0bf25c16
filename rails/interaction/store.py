"""Where interactive actions keep their records: live buttons, pending questions, the resume
journal of each action run and idempotency results.

One small interface (versioned JSON records with compare-and-swap, plus scored sets used as
indexes) and three backends: in memory (one process, the default of `LLMRails`), SQLite (own
tables in the server's threads file) and Redis (own key prefix `rails:ix:` on the server's
Redis). The rules that make clicks and answers happen at most once live above this interface
(`rails.interaction.records`), so every backend gets them the same way."""
from __future__ import annotations

import abc
import threading
import time
from typing import Any, Optional

# How long records live when nothing says otherwise: a week.
DEFAULT_RETENTION_S = 7 * 24 * 3600.0


class InteractionStore(abc.ABC):
    """Records are JSON objects under string keys. `get` returns the record with its version
    in `"_v"`; `swap` writes only when the stored version is still the one read, which is how
    two workers racing for one click or answer are told apart."""

    @abc.abstractmethod
    async def get(self, key: str) -> Optional[dict]:
        """The record with its `_v`, or None (unknown or expired)."""

    @abc.abstractmethod
    async def put(self, key: str, value: dict, ttl: Optional[float] = None) -> None:
        """Writes unconditionally (a new version)."""

    @abc.abstractmethod
    async def add(self, key: str, value: dict, ttl: Optional[float] = None) -> bool:
        """Writes only when no record has the key; True when this call wrote it."""

    @abc.abstractmethod
    async def swap(self, key: str, version: int, value: dict,
                   ttl: Optional[float] = None) -> bool:
        """Writes only when the stored record still has `version`; True when it did."""

    @abc.abstractmethod
    async def index_add(self, name: str, member: str, score: float) -> None:
        """Adds (or re-scores) `member` in the set `name`."""

    @abc.abstractmethod
    async def index_remove(self, name: str, member: str) -> None:
        """Removes `member` from the set `name` (absent: nothing happens)."""

    @abc.abstractmethod
    async def index_members(self, name: str, max_score: Optional[float] = None,
                            limit: int = 1000) -> list[str]:
        """Members by ascending score, up to `max_score` when given."""

    async def close(self) -> None:
        """Releases connections."""

    def describe(self) -> str:
        return type(self).__name__


class MemoryInteractionStore(InteractionStore):
    """Records in this process's memory (lost on exit): the default of a bare `LLMRails`."""

    def __init__(self) -> None:
        self._records: dict[str, tuple[int, dict, Optional[float]]] = {}
        self._indexes: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()  # the sync API runs on its own loop thread

    def describe(self) -> str:
        return "memory"

    def _live(self, key: str) -> Optional[tuple[int, dict, Optional[float]]]:
        item = self._records.get(key)
        if item is not None and item[2] is not None and item[2] < time.time():
            del self._records[key]
            return None
        return item

    async def get(self, key: str) -> Optional[dict]:
        with self._lock:
            item = self._live(key)
        if item is None:
            return None
        import copy

        return {**copy.deepcopy(item[1]), "_v": item[0]}

    def _write(self, key: str, version: int, value: dict, ttl: Optional[float]) -> None:
        import copy

        clean = {k: v for k, v in value.items() if k != "_v"}
        self._records[key] = (version, copy.deepcopy(clean),
                              time.time() + ttl if ttl else None)

    async def put(self, key: str, value: dict, ttl: Optional[float] = None) -> None:
        with self._lock:
            item = self._live(key)
            self._write(key, (item[0] if item else 0) + 1, value, ttl)

    async def add(self, key: str, value: dict, ttl: Optional[float] = None) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._write(key, 1, value, ttl)
            return True

    async def swap(self, key: str, version: int, value: dict,
                   ttl: Optional[float] = None) -> bool:
        with self._lock:
            item = self._live(key)
            if item is None or item[0] != version:
                return False
            self._write(key, version + 1, value, ttl)
            return True

    async def index_add(self, name: str, member: str, score: float) -> None:
        with self._lock:
            self._indexes.setdefault(name, {})[member] = score

    async def index_remove(self, name: str, member: str) -> None:
        with self._lock:
            members = self._indexes.get(name)
            if members is not None:
                members.pop(member, None)
                if not members:
                    del self._indexes[name]

    async def index_members(self, name: str, max_score: Optional[float] = None,
                            limit: int = 1000) -> list[str]:
        with self._lock:
            items = sorted(self._indexes.get(name, {}).items(), key=lambda item: item[1])
        return [member for member, score in items
                if max_score is None or score <= max_score][:limit]


def open_interaction_store(*, redis_url: Optional[str] = None,
                           sqlite_path: Any = None) -> InteractionStore:
    """The store beside a server's thread store: the same Redis, or the same SQLite file."""
    if redis_url:
        from rails.interaction.store_redis import RedisInteractionStore

        return RedisInteractionStore(redis_url)
    if sqlite_path is not None:
        from rails.interaction.store_sqlite import SQLiteInteractionStore

        return SQLiteInteractionStore(sqlite_path)
    return MemoryInteractionStore()


def store_beside(threads: Any) -> InteractionStore:
    """The interaction store that lives where the server's `threads` store does."""
    url = getattr(threads, "url", None)
    if isinstance(url, str) and url.startswith(("redis://", "rediss://", "unix://")):
        return open_interaction_store(redis_url=url)
    path = getattr(threads, "path", None)
    if path is not None:
        return open_interaction_store(sqlite_path=path)
    return MemoryInteractionStore()
