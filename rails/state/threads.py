"""Turns on server-kept threads: load what the thread holds, run the turn, commit it.

The events and dialog state of recently served threads stay in memory with their version,
so a thread that this process served last costs one small read (its version) per turn; one
that another process (or this one before a restart) moved on is loaded whole."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Optional

from rails.state.store import ThreadConfigMismatch, ThreadConflict, ThreadStore

DEFAULT_CACHE_SIZE = 1024


@dataclass
class ThreadTurn:
    thread_id: str
    config_id: str
    version: int
    events: list = field(default_factory=list)
    dialog: Optional[dict] = None
    # A thread stored before threads kept dialog state has only messages: they are sent
    # along with the new ones, as before.
    history: list = field(default_factory=list)

    def rails_state(self) -> dict:
        """The `state` to continue the conversation from (see LLMRails.generate_async)."""
        return {"events": self.events, "dialog": self.dialog}


class ThreadTurns:
    def __init__(self, store: ThreadStore, cache_size: int = DEFAULT_CACHE_SIZE):
        self.store = store
        self.cache_size = cache_size
        # thread id -> (version, events, dialog) of the last turn this process stored or read
        self._cache: OrderedDict[str, tuple[int, list, Optional[dict]]] = OrderedDict()

    async def begin(self, thread_id: str, config_id: str) -> ThreadTurn:
        """What the thread holds now; raises ThreadConfigMismatch when it belongs to another
        config."""
        cached = self._cache.get(thread_id)
        record = await self.store.load(thread_id, cached[0] if cached is not None else None)
        if record.config_id is not None and record.config_id != config_id:
            raise ThreadConfigMismatch(f"thread {thread_id!r}", record.config_id, config_id)
        if record.version == 0:
            return ThreadTurn(thread_id, config_id, 0, history=record.legacy_messages or [])
        if record.events is None:  # this process holds that version already
            self._cache.move_to_end(thread_id)
            _, events, dialog = cached
        else:
            events, dialog = record.events, record.dialog
            self._remember(thread_id, record.version, events, dialog)
        return ThreadTurn(thread_id, config_id, record.version, events, dialog)

    async def commit(self, turn: ThreadTurn, messages: list[dict], state: dict) -> None:
        """Stores the turn (the messages the client sent and saw, the new events, the new
        dialog state) if the thread is still where the turn began; else ThreadConflict."""
        # The turn's own list (generate copied the thread's events before extending them):
        # kept as it is, not copied again.
        events = state.get("events") or []
        dialog = state.get("dialog")
        try:
            version = await self.store.commit(
                turn.thread_id, expected_version=turn.version, config_id=turn.config_id,
                messages=messages, events=events[len(turn.events):], dialog=dialog)
        except ThreadConflict:
            self._cache.pop(turn.thread_id, None)
            raise
        self._remember(turn.thread_id, version, events, dialog)

    def forget(self, thread_id: str) -> None:
        self._cache.pop(thread_id, None)

    def _remember(self, thread_id: str, version: int, events: list,
                  dialog: Optional[dict]) -> None:
        self._cache[thread_id] = (version, events, dialog)
        self._cache.move_to_end(thread_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
