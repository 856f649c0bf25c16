"""Interaction records in Redis (several server processes or hosts): each record is a hash
`{v, d}` under `rails:ix:<key>`, indexes are sorted sets, and add / compare-and-swap are Lua
scripts, so the check and the write are one atomic step on the server."""
from __future__ import annotations

import json
from typing import Any, Optional

from rails.interaction.store import InteractionStore
from rails.redis_client import open_redis

KEY_PREFIX = "rails:ix:"

_ADD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""
_SWAP = """
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', tonumber(ARGV[1]) + 1, 'd', ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3])
else redis.call('PERSIST', KEYS[1]) end
return 1
"""
_PUT = """
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('HSET', KEYS[1], 'd', ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2])
else redis.call('PERSIST', KEYS[1]) end
return 1
"""


class RedisInteractionStore(InteractionStore):
    def __init__(self, url: str, client: Any = None):
        self.url = url
        if client is None:
            client = open_redis(url, "interaction")
        self._client = client
        self._add = client.register_script(_ADD)
        self._swap = client.register_script(_SWAP)
        self._put = client.register_script(_PUT)

    def describe(self) -> str:
        return f"Redis at {self.url}"

    async def get(self, key: str) -> Optional[dict]:
        fields = await self._client.hmget(KEY_PREFIX + key, ["v", "d"])
        if fields[0] is None or fields[1] is None:
            return None
        return {**json.loads(fields[1]), "_v": int(fields[0])}

    async def put(self, key: str, value: dict, ttl: Optional[float] = None) -> None:
        await self._put(keys=[KEY_PREFIX + key], args=[_encode(value), _ms(ttl)])

    async def add(self, key: str, value: dict, ttl: Optional[float] = None) -> bool:
        return bool(await self._add(keys=[KEY_PREFIX + key], args=[_encode(value), _ms(ttl)]))

    async def swap(self, key: str, version: int, value: dict,
                   ttl: Optional[float] = None) -> bool:
        return bool(await self._swap(keys=[KEY_PREFIX + key],
                                     args=[str(version), _encode(value), _ms(ttl)]))

    async def index_add(self, name: str, member: str, score: float) -> None:
        await self._client.zadd(KEY_PREFIX + "index:" + name, {member: score})

    async def index_remove(self, name: str, member: str) -> None:
        await self._client.zrem(KEY_PREFIX + "index:" + name, member)

    async def index_members(self, name: str, max_score: Optional[float] = None,
                            limit: int = 1000) -> list[str]:
        members = await self._client.zrangebyscore(
            KEY_PREFIX + "index:" + name, "-inf", "+inf" if max_score is None else max_score,
            start=0, num=limit)
        return [m.decode() if isinstance(m, bytes) else m for m in members]

    async def close(self) -> None:
        await self._client.aclose()


def _encode(value: dict) -> str:
    return json.dumps({k: v for k, v in value.items() if k != "_v"}, default=str)


def _ms(ttl: Optional[float]) -> int:
    return int(ttl * 1000) if ttl else 0
