"""UI events an action emits while it runs (Open WebUI's `__event_emitter__` shapes), checked
here so a typo fails in the action that made it, not in someone's browser.

Each event is `{"type": <one of EVENT_TYPES>, "data": {...}}`. `emit` is the plain Python API
for new code: `await emit.status("Exporting 3 of 10", done=False)`."""
from __future__ import annotations

from typing import Any, Optional

# type -> the data keys it needs (others are passed through to the UI untouched)
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "status": ("description",),        # + done: bool, hidden: bool
    "message": ("content",),           # append text to the bot message of this turn
    "replace": ("content",),           # replace the text of the bot message of this turn
    "notification": ("content",),      # + type: info | success | warning | error
    "citation": (),                    # document, metadata, source
    "source": (),                      # the same as citation (Open WebUI's newer name)
    "files": ("files",),               # [{"name", "url" | "content", "type"}]
    "result": (),                      # what a toolbar action returned
}
# Emitted by the engine itself, not by actions: streams carry buttons and questions this way.
ENGINE_TYPES = ("buttons", "interaction", "buttons_removed")


def check_event(event: Any) -> dict:
    """The event as a plain dict, or ValueError naming what is wrong with it."""
    if not isinstance(event, dict):
        raise ValueError(f"a UI event must be a dict {{'type', 'data'}}, not "
                         f"{type(event).__name__}")
    kind = event.get("type")
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown UI event type {kind!r}; use one of "
                         f"{', '.join(EVENT_TYPES)}")
    data = event.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"the data of a {kind!r} UI event must be a dict, not "
                         f"{type(data).__name__}")
    missing = [key for key in EVENT_TYPES[kind] if key not in data]
    if missing:
        raise ValueError(f"a {kind!r} UI event needs data key(s) {', '.join(missing)}")
    return {"type": kind, "data": dict(data)}


class UIEvent(dict):
    """A UI event as `stream_async(..., ui_events=True)` yields it between text chunks: a dict
    `{"type", "data"}` (a subclass, so `isinstance(chunk, str)` tells text from events)."""


async def _emit(event: dict) -> None:
    from rails.interaction.context import emit_event

    await emit_event(event)


class _Emit:
    """`emit.status(...)`, `emit.message(...)`...: the same events as `__event_emitter__`."""

    async def __call__(self, event: dict) -> None:
        await _emit(event)

    async def status(self, description: str, done: bool = False, hidden: bool = False) -> None:
        await _emit({"type": "status", "data": {"description": description, "done": done,
                                                "hidden": hidden}})

    async def message(self, content: str) -> None:
        await _emit({"type": "message", "data": {"content": content}})

    async def replace(self, content: str) -> None:
        await _emit({"type": "replace", "data": {"content": content}})

    async def notification(self, content: str, type: str = "info") -> None:
        await _emit({"type": "notification", "data": {"type": type, "content": content}})

    async def citation(self, document: Any, source: Optional[dict] = None,
                       metadata: Optional[list] = None) -> None:
        await _emit({"type": "citation", "data": {
            "document": document if isinstance(document, list) else [document],
            "source": source or {}, "metadata": metadata or []}})

    async def files(self, files: list[dict]) -> None:
        await _emit({"type": "files", "data": {"files": list(files)}})


emit = _Emit()
