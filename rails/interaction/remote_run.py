"""Interactive helpers for an action that runs on the actions server: its UI events (through
`__event_emitter__`, `emit`, `Message.send()`) are collected and travel back with its result,
to be emitted in the turn that called it. It cannot ask the user — the turn that would carry
the question is in another process — so `__event_call__` / `ask` raise an error saying so."""
from __future__ import annotations

import contextlib
from typing import Any, Optional

from rails.errors import InteractionError
from rails.interaction.context import ActionRun, Settings, TurnScope, current_run, current_turn
from rails.interaction.store import MemoryInteractionStore

REMOTE_PARAMS = ("body", "__user__", "__event_emitter__", "__event_call__", "__id__")


class _RemoteRun(ActionRun):
    async def call(self, request: Any) -> Any:
        raise InteractionError(
            f"action {self.name!r} runs on the actions server, where it cannot ask the user "
            "(__event_call__ / ask): ask from a local action of the config and pass the answer "
            "to this one", code="cannot_ask_remotely")

    async def step(self, name: str, fn: Any, args: tuple, kwargs: dict) -> Any:
        import inspect

        result = fn(*args, **kwargs)  # no journal here: the calling turn has none to share
        return await result if inspect.isawaitable(result) else result


class RemoteRunScope:
    def __init__(self, name: str, params: dict):
        self.turn = TurnScope(MemoryInteractionStore(), Settings())
        self.run = _RemoteRun(self.turn, "remote", name)
        self.injected = {
            "body": {"id": None, "chat_id": None, "action": name, "params": dict(params),
                     "messages": []},
            "__user__": None, "__event_emitter__": self.run.emit,
            "__event_call__": self.run.call, "__id__": name}

    def ui_events(self) -> list[dict]:
        events = list(self.turn.ui_events)
        for message in self.run.sent + self.turn.loose_messages:
            if message.content:
                events.append({"type": "message", "data": {"content": message.content}})
        return events


@contextlib.contextmanager
def remote_run(name: str, params: Optional[dict] = None):
    scope = RemoteRunScope(name, params or {})
    turn_token = current_turn.set(scope.turn)
    run_token = current_run.set(scope.run)
    try:
        yield scope
    finally:
        current_run.reset(run_token)
        current_turn.reset(turn_token)
