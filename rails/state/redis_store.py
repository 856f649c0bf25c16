"""Threads in Redis, for several server processes or hosts. Per thread: a list of messages
(`dialog-rails:thread:<id>`), a list with one JSON array of events per turn (`...:events`) and
a hash with the version, the config and the dialog state (`...:meta`). A turn is committed in
one MULTI/EXEC block under WATCH of the hash, so a turn stored meanwhile by another process
aborts it (ThreadConflict) instead of being overwritten. The `redis` package is imported only
when this store is used (the `redis` extra)."""
from __future__ import annotations

import secrets
from typing import Any, Optional

from rails.state.encoding import dumps, loads
from rails.state.store import ThreadConflict, ThreadRecord, ThreadStore

KEY_PREFIX = "dialog-rails:thread:"
SIGNING_KEY = "dialog-rails:state-signing-key"


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
        client = self._client
        version, config_id = await client.hmget(key + ":meta", "version", "config_id")
        if version is None:
            legacy = await client.lrange(key, 0, -1)
            return ThreadRecord(legacy_messages=[loads(item) for item in legacy] or None)
        if int(version) == known_version:
            return ThreadRecord(int(version), config_id.decode())
        # MULTI/EXEC: the state and the events are read as of one version.
        async with client.pipeline(transaction=True) as pipe:
            pipe.hmget(key + ":meta", "version", "config_id", "dialog")
            pipe.lrange(key + ":events", 0, -1)
            (version, config_id, dialog), turns = await pipe.execute()
        events: list[dict] = []
        for text in turns:
            events.extend(loads(text))
        return ThreadRecord(int(version), config_id.decode(), events,
                            None if not dialog else loads(dialog))

    async def commit(self, thread_id: str, *, expected_version: int, config_id: str,
                     messages: list[dict], events: list[dict], dialog: Optional[dict]) -> int:
        import redis

        key = KEY_PREFIX + thread_id
        encoded_messages = [dumps(message) for message in messages]
        encoded_events, encoded_dialog = dumps(events), "" if dialog is None else dumps(dialog)
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                await pipe.watch(key + ":meta")
                current = int(await pipe.hget(key + ":meta", "version") or 0)
                if current != expected_version:
                    raise ThreadConflict(thread_id, expected_version, current)
                version = current + 1
                pipe.multi()
                if encoded_messages:
                    pipe.rpush(key, *encoded_messages)
                pipe.rpush(key + ":events", encoded_events)
                pipe.hset(key + ":meta", mapping={"version": version, "config_id": config_id,
                                                  "dialog": encoded_dialog})
                await pipe.execute()
        except redis.WatchError:
            current = int(await self._client.hget(key + ":meta", "version") or 0)
            raise ThreadConflict(thread_id, expected_version, current) from None
        return version

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
