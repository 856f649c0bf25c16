"""Results computed over an event history, kept per prefix so that the next call (the same
history plus a few events) only processes what is new: prompts render in the same time at
turn 50 as at turn 1. A prefix is identified by the uid and position of its last event."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Optional


class PrefixCache:
    def __init__(self, size: int = 512, scan_back: int = 200):
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self.size, self.scan_back = size, scan_back

    @staticmethod
    def _key(events: list[dict], end: int, flags: tuple) -> Optional[tuple]:
        uid = events[end - 1].get("uid")
        return (uid, end, flags) if uid else None

    def lookup(self, events: list[dict], flags: tuple = (),
               accept: Callable[[Any], bool] = lambda value: True) -> tuple[int, Any]:
        """(length of the longest cached prefix, its value), or (0, None)."""
        for end in range(len(events), max(len(events) - self.scan_back, 0), -1):
            key = self._key(events, end, flags)
            value = self._entries.get(key) if key else None
            if value is not None and accept(value):
                return end, value
        return 0, None

    def store(self, events: list[dict], value: Any, flags: tuple = ()) -> None:
        key = self._key(events, len(events), flags) if events else None
        if key is None:
            return
        self._entries[key] = value
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
