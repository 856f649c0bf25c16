"""`Idempotency-Key` on the actions server: the reply to a key is kept for a bounded time
(`ttl` seconds, at most `max_entries` keys, oldest first out), a request repeating a key gets
that reply again, and one arriving while the first still runs waits for it — the action never
runs twice for one key. Kept per process: with several actions-server processes, send retries
to the same one (or put a sticky load balancer in front)."""
from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from typing import Awaitable, Callable, Optional

DEFAULT_TTL_S = 600.0
DEFAULT_MAX_ENTRIES = 10_000
MAX_KEY_CHARS = 255

Reply = tuple[int, bytes]


class IdempotentReplies:
    def __init__(self, ttl: float = DEFAULT_TTL_S, max_entries: int = DEFAULT_MAX_ENTRIES):
        self.ttl, self.max_entries = ttl, max_entries
        self._done: OrderedDict[str, tuple[float, str, Reply]] = OrderedDict()
        self._running: dict[str, tuple[str, asyncio.Future]] = {}

    async def run(self, key: str, request_body: bytes,
                  work: Callable[[], Awaitable[Reply]]) -> tuple[Reply, bool]:
        """(the reply, whether it was replayed). Raises ValueError when the key was used for
        a different request."""
        fingerprint = hashlib.sha256(request_body).hexdigest()
        self._expire()
        kept = self._done.get(key)
        if kept is not None:
            if kept[1] != fingerprint:
                raise ValueError("this Idempotency-Key was used for a different request")
            return kept[2], True
        running = self._running.get(key)
        if running is not None:
            if running[0] != fingerprint:
                raise ValueError("this Idempotency-Key was used for a different request")
            return await asyncio.shield(running[1]), True
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._running[key] = (fingerprint, future)
        try:
            reply = await work()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            self._running.pop(key, None)
        future.set_result(reply)
        self._done[key] = (time.monotonic() + self.ttl, fingerprint, reply)
        while len(self._done) > self.max_entries:
            self._done.popitem(last=False)
        return reply, False

    def _expire(self) -> None:
        now = time.monotonic()
        while self._done:
            key, (expires, _, _) = next(iter(self._done.items()))
            if expires > now:
                break
            del self._done[key]


def key_problem(key: Optional[str]) -> Optional[str]:
    if key is not None and not 1 <= len(key) <= MAX_KEY_CHARS:
        return f"the Idempotency-Key header must have 1 to {MAX_KEY_CHARS} characters"
    return None
