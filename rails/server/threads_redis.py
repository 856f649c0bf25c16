"""Threads in Redis, for several server processes or hosts: one list per thread, appended with
RPUSH (atomic for the whole batch). The `redis` package is imported only when this store is
used (the `redis` extra)."""
from __future__ import annotations

import json
from typing import Any

from rails.server.threads import ThreadStore

KEY_PREFIX = "dialog-rails:thread:"


class RedisThreadStore(ThreadStore):
    def __init__(self, url: str, client: Any = None):
        self.url = url
        if client is None:
            try:
                import redis.asyncio as redis_asyncio
            except ImportError as error:
                raise ValueError("a Redis thread store needs the `redis` package: "
                                 "pip install 'dialog-rails[redis]'") from error
            try:
                client = redis_asyncio.from_url(url)
            except ValueError as error:
                raise ValueError(f"invalid Redis URL {url!r}: {error}") from error
        self._client = client

    def describe(self) -> str:
        return f"Redis at {self.url}"

    async def get(self, thread_id: str) -> list[dict]:
        items = await self._client.lrange(KEY_PREFIX + thread_id, 0, -1)
        return [json.loads(item) for item in items]

    async def append(self, thread_id: str, messages: list[dict]) -> None:
        if messages:
            await self._client.rpush(KEY_PREFIX + thread_id,
                                     *[json.dumps(message) for message in messages])

    async def close(self) -> None:
        await self._client.aclose()


def check_reachable(url: str, timeout: float = 3.0) -> None:
    """Raises ValueError naming the URL when no Redis answers there (checked at start-up, with
    a short-lived synchronous client, so the server's own client stays on its event loop)."""
    try:
        import redis
    except ImportError as error:
        raise ValueError("a Redis thread store needs the `redis` package: "
                         "pip install 'dialog-rails[redis]'") from error
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout,
                                      socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except ValueError as error:
        raise ValueError(f"invalid Redis URL {url!r}: {error}") from error
    except redis.RedisError as error:
        raise ValueError(f"cannot reach Redis at {url}: {error}") from error
