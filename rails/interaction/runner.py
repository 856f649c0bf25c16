"""Runs actions inside a turn so that they can use the interactive helpers: the injected
Open WebUI parameters (`body`, `__user__`, `__event_emitter__`, `__event_call__`, `__id__`),
`Message(...).send()`, `emit`, `ask` and `step`, and an automatic confirmation question for
actions marked as needing one.

The runtime calls `InteractiveRunner` instead of `dispatcher.execute` when LLMRails installs
it; an action that names none of these parameters costs one context-variable set more."""
from __future__ import annotations

from typing import Any, Optional

from rails.actions.outcome import ActionOutcome
from rails.actions.ui_sink import ui_event_sink
from rails.events import new_event_dict
from rails.interaction.context import ActionRun, TurnScope, current_run, current_turn

INTERACTIVE_PARAMS = frozenset({"body", "__user__", "__event_emitter__", "__event_call__",
                                "__id__"})


class InteractiveRunner:
    def __init__(self, dispatcher: Any, confirmations: Optional[dict] = None):
        self.dispatcher = dispatcher
        self.confirmations = dict(confirmations or {})

    async def __call__(self, start: dict, name: str, params: dict, *, context: Any,
                       events: Any, injected: dict, remote: Any,
                       **options: Any) -> ActionOutcome:
        dispatcher = self.dispatcher
        turn = current_turn.get()
        if turn is None:
            return await dispatcher.execute(name, params, context=context, events=events,
                                            injected=injected, remote=remote, **options)
        run = ActionRun(turn, start.get("action_uid") or new_event_dict("x")["uid"], name)
        if run.needs_journal:
            await run.prepare()
        entry = dispatcher.lookup(name)  # one lookup for the spec and the meta
        if entry is not None and entry.spec.params & INTERACTIVE_PARAMS:
            injected = {**injected, **action_helpers(run, turn, name, params)}
        token = current_run.set(run)
        sink_token = ui_event_sink.set(turn.emit)  # UI events a remote action emitted
        try:
            question = self.confirmation_for(name, entry.meta if entry is not None else {})
            if question is not None:
                if not await run.call(question):
                    return ActionOutcome("success", False, events=utterances(
                        [turn.settings.declined_message]))
                options["confirmed"] = True
            outcome = await dispatcher.execute(name, params, context=context, events=events,
                                               injected=injected, remote=remote, **options)
        finally:
            ui_event_sink.reset(sink_token)
            current_run.reset(token)
        if run.sent:
            outcome.events = list(outcome.events or []) + utterances(
                [message.content for message in run.sent])
        return outcome

    def confirmation_for(self, name: str, meta: Optional[dict] = None) -> Optional[dict]:
        """The question asked before `name` runs: `interaction.confirm: {name: text}` in
        config.yml, or `@action(confirm=True, confirm_message=...)` (the policy's key).
        `meta`: the action's `@action` keys when the caller has them at hand."""
        text = self.confirmations.get(name)
        if text is None:
            if meta is None:
                meta = self.dispatcher.meta(name)
            if meta.get("confirm") is not True:
                return None
            text = meta.get("confirm_message") or f"Run {name}?"
        return {"type": "confirmation", "data": {"title": "Please confirm",
                                                 "message": str(text)}}


def action_helpers(run: ActionRun, turn: TurnScope, name: str, params: Optional[dict],
                   extra_body: Optional[dict] = None, action_id: Optional[str] = None) -> dict:
    """The parameters Open WebUI passes to Action Functions, bound to this run."""
    body = {"id": run.run_id, "chat_id": turn.thread_id, "action": name,
            "params": dict(params or {}),
            "messages": [{"role": m.get("role"), "content": m.get("content")}
                         for m in turn.messages if m.get("role") in ("user", "assistant")]}
    if extra_body:
        body.update(extra_body)
    return {"body": body, "__user__": turn.user, "__event_emitter__": run.emit,
            "__event_call__": run.call, "__id__": action_id or name}


def utterances(texts: list) -> list[dict]:
    return [new_event_dict("StartUtteranceBotAction", script=str(text)) for text in texts
            if text]
