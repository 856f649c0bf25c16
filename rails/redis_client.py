"""Opening a Redis connection for the stores that can live in Redis (threads, interactive
actions' records, declared actions), with one clear error for a missing package or a bad URL."""
from __future__ import annotations

from typing import Any


def open_redis(url: str, store: str) -> Any:
    """An asyncio Redis client for `url`; `store` names the store in the error messages."""
    try:
        import redis.asyncio as redis_asyncio
    except ImportError as error:
        raise ValueError(f"a Redis {store} store needs the `redis` package: "
                         "pip install 'dialog-rails[redis]'") from error
    try:
        return redis_asyncio.from_url(url)
    except ValueError as error:
        raise ValueError(f"invalid Redis URL {url!r}: {error}") from error
