"""Declared actions in Redis, for several actions servers: one hash per organisation
(`rails:da:<org>`, field = action name, value = the declaration's JSON). HSETNX makes
`create` refuse an existing name atomically. The `redis` package is imported only here."""
from __future__ import annotations

from typing import Any, Optional

from rails.actions.declared.store import DeclaredActionStore
from rails.redis_client import open_redis

KEY_PREFIX = "rails:da:"


class RedisActionStore(DeclaredActionStore):
    def __init__(self, url: str, client: Any = None):
        self.url = url
        if client is None:
            client = open_redis(url, "action")
        self._client = client

    def describe(self) -> str:
        return f"Redis at {self.url}"

    async def create(self, org: str, name: str, body: str) -> bool:
        return bool(await self._client.hsetnx(KEY_PREFIX + org, name, body))

    async def put(self, org: str, name: str, body: str) -> bool:
        return bool(await self._client.hset(KEY_PREFIX + org, name, body))

    async def get(self, org: str, name: str) -> Optional[str]:
        value = await self._client.hget(KEY_PREFIX + org, name)
        return value.decode() if isinstance(value, bytes) else value

    async def list(self, org: str) -> list[str]:
        items = await self._client.hgetall(KEY_PREFIX + org)
        decoded = {(k.decode() if isinstance(k, bytes) else k):
                   (v.decode() if isinstance(v, bytes) else v) for k, v in items.items()}
        return [decoded[name] for name in sorted(decoded)]

    async def delete(self, org: str, name: str) -> bool:
        return bool(await self._client.hdel(KEY_PREFIX + org, name))

    async def close(self) -> None:
        await self._client.aclose()
