"""Threads in Redis, for several server processes or hosts. Per thread: a list of messages
(`dialog-rails:thread:<id>`), a list with one deflated JSON array of events per turn
(`...:events`) and a hash with the version, the config and the dialog state (`...:meta`). Loading and committing
are one Lua script each (one round trip, atomic on the server): the commit writes only when the
thread is still at the version the turn began from, else the turn is refused (ThreadConflict)
rather than overwriting the other one. The `redis` package is imported only when this store
is used (the `redis` extra)."""
from __future__ import annotations

import secrets
from typing import Any, Optional

from rails.redis_client import open_redis
from rails.state.encoding import dumps, loads, pack, unpack
from rails.state.store import ThreadConflict, ThreadRecord, ThreadStore

KEY_PREFIX = "dialog-rails:thread:"
SIGNING_KEY = "dialog-rails:state-signing-key"

# KEYS: messages, events, meta. ARGV: the version the caller holds (or "").
# Returns {0, messages} for a thread without a turn (messages of a thread stored before threads
# kept state), {version, config} when the caller holds that version, else
# {version, config, dialog, events of each turn}.
_LOAD = """
local meta = redis.call('HMGET', KEYS[3], 'version', 'config_id')
if not meta[1] then return {0, redis.call('LRANGE', KEYS[1], 0, -1)} end
if meta[1] == ARGV[1] then return {tonumber(meta[1]), meta[2]} end
return {tonumber(meta[1]), meta[2], redis.call('HGET', KEYS[3], 'dialog'),
        redis.call('LRANGE', KEYS[2], 0, -1)}
"""

# KEYS: messages, events, meta. ARGV: expected version, config, the turn's events, the dialog
# state, then the messages. Returns {1, new version} or {0, current version}.
_COMMIT = """
local current = tonumber(redis.call('HGET', KEYS[3], 'version') or '0')
if current ~= tonumber(ARGV[1]) then return {0, current} end
for i = 5, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[3], 'version', current + 1, 'config_id', ARGV[2], 'dialog', ARGV[4])
return {1, current + 1}
"""


class RedisThreadStore(ThreadStore):
    def __init__(self, url: str, client: Any = None):
        self.url = url
        if client is None:
            client = open_redis(url, "thread")
        self._client = client

    def describe(self) -> str:
        return f"Redis at {self.url}"

    def signing_key(self) -> bytes:
        """Kept in Redis itself (set once, by whichever server comes first), so every server
        on this Redis signs alike. Read with a short-lived synchronous client at start-up."""
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=5, socket_timeout=5)
        try:
            client.set(SIGNING_KEY, secrets.token_hex(32), nx=True)
            key = client.get(SIGNING_KEY)
        except redis.RedisError as error:
            raise ValueError(f"cannot read the state signing key from Redis at {self.url}: "
                             f"{error}") from error
        finally:
            client.close()
        return key

    async def get(self, thread_id: str) -> list[dict]:
        items = await self._client.lrange(KEY_PREFIX + thread_id, 0, -1)
        return [loads(item) for item in items]

    async def load(self, thread_id: str, known_version: Optional[int] = None) -> ThreadRecord:
        key = KEY_PREFIX + thread_id
        reply = await self._script("_load", _LOAD)(
            keys=[key, key + ":events", key + ":meta"],
            args=["" if known_version is None else str(known_version)])
        if reply[0] == 0:
            return ThreadRecord(legacy_messages=[loads(item) for item in reply[1]] or None)
        version, config_id = int(reply[0]), reply[1].decode()
        if len(reply) == 2:
            return ThreadRecord(version, config_id)
        events: list[dict] = []
        for text in reply[3]:
            events.extend(unpack(text))
        return ThreadRecord(version, config_id, events, loads(reply[2]) if reply[2] else None)

    async def commit(self, thread_id: str, *, expected_version: int, config_id: str,
                     messages: list[dict], events: list[dict], dialog: Optional[dict]) -> int:
        key = KEY_PREFIX + thread_id
        args = [expected_version, config_id, pack(events),
                "" if dialog is None else dumps(dialog), *[dumps(m) for m in messages]]
        written, version = await self._script("_commit", _COMMIT)(
            keys=[key, key + ":events", key + ":meta"], args=args)
        if not written:
            raise ThreadConflict(thread_id, expected_version, int(version))
        return int(version)

    def _script(self, name: str, text: str) -> Any:
        """The script registered once per store (then sent by its SHA, re-sent if the server
        forgot it)."""
        script = self.__dict__.get(name)
        if script is None:
            script = self.__dict__[name] = self._client.register_script(text)
        return script

    async def append(self, thread_id: str, messages: list[dict]) -> None:
        if messages:
            await self._client.rpush(KEY_PREFIX + thread_id,
                                     *[dumps(message) for message in messages])

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
