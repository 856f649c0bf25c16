"""Threads in a NeMo-style DataStore (`register_datastore`): any object with async
`get(key) -> str | None` and `set(key, value: str)`.

The messages stay where NeMo's server keeps them (`thread-<id>`, a JSON list), so a store that
NeMo filled keeps working; the rest of a turn (events, dialog state, config, version) is one
more key, `thread-<id>:rails`. What such a store cannot give, this adapter does not claim: it
has no transactions and no compare-and-set, so a turn is two writes, and only the requests of
one server process are kept from overwriting each other (the server serializes each thread's
turns). With several processes, use the SQLite or Redis store. States sent to clients are
signed with DIALOG_RAILS_STATE_KEY when set, else with a key of this process."""
from __future__ import annotations

import secrets
from typing import Any, Optional

from rails.state.encoding import dumps, loads
from rails.state.store import ThreadConflict, ThreadRecord, ThreadStore


class DataStore:
    """NeMo's DataStore interface (`nemoguardrails.server.datastore.datastore`)."""

    async def set(self, key: str, value: str) -> None:
        raise NotImplementedError

    async def get(self, key: str) -> Optional[str]:
        raise NotImplementedError


class MemoryStore(DataStore):
    """A DataStore in this process's memory (NeMo's MemoryStore): lost on restart."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def set(self, key: str, value: str) -> None:
        self.data[key] = value

    async def get(self, key: str) -> Optional[str]:
        return self.data.get(key)


class DataStoreThreads(ThreadStore):
    def __init__(self, datastore: Any):
        if not (callable(getattr(datastore, "get", None))
                and callable(getattr(datastore, "set", None))):
            raise ValueError(f"a datastore needs async get(key) and set(key, value) methods; "
                             f"{type(datastore).__name__} lacks them")
        self.datastore = datastore
        self._key = secrets.token_hex(32).encode()

    def describe(self) -> str:
        return f"registered datastore {type(self.datastore).__name__} (one server process)"

    def signing_key(self) -> bytes:
        return self._key

    async def _read(self, key: str, default: Any) -> Any:
        text = await self.datastore.get(key)
        return default if text is None else loads(text)

    async def get(self, thread_id: str) -> list[dict]:
        return await self._read(f"thread-{thread_id}", [])

    async def load(self, thread_id: str, known_version: Optional[int] = None) -> ThreadRecord:
        record = await self._read(f"thread-{thread_id}:rails", None)
        if record is None:
            return ThreadRecord(legacy_messages=await self.get(thread_id) or None)
        if record["version"] == known_version:
            return ThreadRecord(record["version"], record["config_id"])
        return ThreadRecord(record["version"], record["config_id"], record["events"],
                            record["dialog"])

    async def commit(self, thread_id: str, *, expected_version: int, config_id: str,
                     messages: list[dict], events: list[dict], dialog: Optional[dict]) -> int:
        record = await self._read(f"thread-{thread_id}:rails", None) or {
            "version": 0, "config_id": config_id, "events": [], "dialog": None}
        if record["version"] != expected_version:
            raise ThreadConflict(thread_id, expected_version, record["version"])
        # The turn's part first: if the messages' write fails, the next turn still finds the
        # events and state it needs (the client then lacks this answer in the thread).
        record = {"version": expected_version + 1, "config_id": config_id,
                  "events": record["events"] + list(events), "dialog": dialog}
        await self.datastore.set(f"thread-{thread_id}:rails", dumps(record))
        await self.append(thread_id, messages)
        return record["version"]

    async def append(self, thread_id: str, messages: list[dict]) -> None:
        if messages:
            current = await self.get(thread_id)
            await self.datastore.set(f"thread-{thread_id}", dumps(current + list(messages)))

    async def close(self) -> None:
        close = getattr(self.datastore, "close", None)
        if callable(close):
            result = close()
            if hasattr(result, "__await__"):
                await result
