"""Where organisations' declared actions live: one record per (organisation, name) holding
the declaration as JSON. Backends: SQLite (`store_sqlite`, the default; several processes on
one host may share the file) and Redis (`store_redis`, several hosts).

Every write is one atomic operation on an already-checked declaration, so a failed request
leaves nothing half-stored; `create` refuses an existing name in the same operation, so two
servers racing to create one name cannot both succeed."""
from __future__ import annotations

import abc
from typing import Optional

MAX_ORG_ID_CHARS = 200


class DeclaredActionStore(abc.ABC):
    @abc.abstractmethod
    async def create(self, org: str, name: str, body: str) -> bool:
        """Stores a new action; False (and nothing written) when the name exists."""

    @abc.abstractmethod
    async def put(self, org: str, name: str, body: str) -> bool:
        """Creates or replaces; True when it was created."""

    @abc.abstractmethod
    async def get(self, org: str, name: str) -> Optional[str]:
        """The stored JSON, or None."""

    @abc.abstractmethod
    async def list(self, org: str) -> list[str]:
        """Every action of `org`, ordered by name."""

    @abc.abstractmethod
    async def delete(self, org: str, name: str) -> bool:
        """False when there was nothing to delete."""

    async def close(self) -> None:
        """Releases connections; the store is not used afterwards."""

    def describe(self) -> str:
        return type(self).__name__


def check_org_id(org: str) -> Optional[str]:
    """Why `org` cannot be an organisation id, or None when it can."""
    if not org or not org.strip():
        return "is empty"
    if len(org) > MAX_ORG_ID_CHARS:
        return f"is longer than {MAX_ORG_ID_CHARS} characters"
    if any(ord(char) < 32 or ord(char) == 127 for char in org):
        return "contains control characters"
    return None


def open_action_store(*, redis_url: Optional[str] = None,
                      sqlite_path: Optional[str] = None) -> DeclaredActionStore:
    if redis_url:
        from rails.actions.declared.store_redis import RedisActionStore

        return RedisActionStore(redis_url)
    if sqlite_path is None:
        raise ValueError("a declared-action store needs a SQLite file path or a Redis URL")
    from rails.actions.declared.store_sqlite import SQLiteActionStore

    return SQLiteActionStore(sqlite_path)
