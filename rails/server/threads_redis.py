"""The Redis thread store (see rails.state.redis_store), importable from its old place."""
from rails.state.redis_store import KEY_PREFIX, RedisThreadStore, check_reachable

__all__ = ["RedisThreadStore", "check_reachable", "KEY_PREFIX"]
