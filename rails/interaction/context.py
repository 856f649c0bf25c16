"""The turn and the action run that interactive helpers work in (context variables), how an
action asks and is suspended, and the journal that makes replays safe.

Asking ends the turn: `__event_call__` raises `ActionSuspended` (a BaseException, so an
action's `except Exception` cannot swallow it), the question is stored with everything needed
to resume, and the answer — in this process or another one, after a restart — replays the
action from its start. During the replay answered questions return their stored answers,
named steps return their stored results, and what the action sent or emitted before the
question is not sent again."""
from __future__ import annotations

import contextvars
import inspect
import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from rails.errors import (ActionError, InteractionError, StepOutcomeUnknownError,
                          TurnControl)
from rails.interaction import records
from rails.interaction.questions import check_question, decode_resolution, new_question
from rails.interaction.ui_events import check_event

current_turn: contextvars.ContextVar[Optional["TurnScope"]] = contextvars.ContextVar(
    "rails_interaction_turn", default=None)
current_run: contextvars.ContextVar[Optional["ActionRun"]] = contextvars.ContextVar(
    "rails_interaction_run", default=None)


@dataclass
class Settings:
    question_timeout: float = 300.0
    max_answer_chars: int = 10_000
    retention: float = 7 * 24 * 3600.0
    declined_message: str = "Okay, I did not do it."


class ActionSuspended(TurnControl):
    """Raised through the action when it asks the user: the turn ends with `question`
    pending."""

    def __init__(self, question: dict, run: "ActionRun"):
        self.question, self.run = question, run
        super().__init__(f"action {run.name!r} waits for an answer to {question['id']}")


class TurnScope:
    """What one turn (a message, a click, an answer) collects from the actions it runs."""

    def __init__(self, store: Any, settings: Settings, *, thread_id: Optional[str] = None,
                 user: Any = None, messages: Optional[list] = None,
                 on_ui_event: Optional[Callable] = None,
                 resuming: Optional[dict] = None):
        self.store, self.settings = store, settings
        self.thread_id, self.user = thread_id, user
        self.messages = messages or []
        self.on_ui_event = on_ui_event
        self._message_id: Optional[str] = None
        self.buttons: list = []          # attached to this turn's bot message
        self.ui_events: list[dict] = []
        self.removed: list[str] = []
        self.loose_messages: list = []   # sent outside an action run (callbacks use runs too)
        self.resuming = resuming or {}   # run id -> the question that was just answered

    @property
    def message_id(self) -> str:
        """The id of this turn's bot message, made when first needed (most turns attach no
        buttons and never need one: no random bytes drawn for them)."""
        message_id = self._message_id
        if message_id is None:
            message_id = self._message_id = "msg_" + secrets.token_hex(10)
        return message_id

    # -- what actions call -------------------------------------------------------------------

    def _replaying(self) -> bool:
        run = current_run.get()
        return run is not None and run.replaying

    def add_buttons(self, buttons: list) -> None:
        if self._replaying():
            return
        for button in buttons:
            button.for_id = self.message_id
            self.buttons.append(button)

    def send_message(self, message: Any) -> None:
        if self._replaying():
            return
        run = current_run.get()
        (run.sent if run is not None else self.loose_messages).append(message)
        self.add_buttons(message.buttons)

    async def remove_buttons(self, buttons: list) -> None:
        for button in buttons:
            if button in self.buttons:
                self.buttons.remove(button)
            if button.id:
                await records.remove_button(self.store, button.id)
                if button.id not in self.removed:
                    self.removed.append(button.id)

    async def remove_message_buttons(self, button: Any) -> None:
        if button.for_id == self.message_id or button.for_id is None:
            self.buttons = [b for b in self.buttons if b.for_id != button.for_id]
        if button.for_id:
            for button_id in await records.message_button_ids(self.store, button.for_id):
                await records.remove_button(self.store, button_id)
                if button_id not in self.removed:
                    self.removed.append(button_id)

    async def emit(self, event: Any) -> None:
        event = check_event(event)
        if self._replaying():
            return
        self.ui_events.append(event)
        callback = self.on_ui_event
        if callback is not None:
            result = callback(event)
            if inspect.isawaitable(result):
                await result


class ActionRun:
    """One invocation of an action inside a turn; `run_id` is stable across its replays (the
    action_uid of the flow's `execute`, or the click that started a callback)."""

    def __init__(self, turn: TurnScope, run_id: str, name: str):
        self.turn, self.run_id, self.name = turn, run_id, name
        self.sent: list = []
        self._entries: Optional[dict] = None if run_id in turn.resuming else {}
        self._questions = 0
        self._answered_on_start: Optional[int] = None if run_id in turn.resuming else 0
        self._steps: dict[str, int] = {}

    @property
    def replaying(self) -> bool:
        """True until the action passes the last question that was already answered."""
        answered = self._answered_on_start
        return answered is not None and self._questions < answered

    async def entries(self) -> dict:
        if self._entries is None:
            self._entries = await records.load_journal(self.turn.store, self.run_id)
            self._answered_on_start = sum(1 for key, entry in self._entries.items()
                                          if key[0] == "q" and entry.get("status") != "pending")
        return self._entries

    @property
    def needs_journal(self) -> bool:
        """A resumed run whose journal `prepare` must load (a fresh run has none)."""
        return self._entries is None

    async def prepare(self) -> None:
        """Loads the journal of a resumed run before the action starts (so `replaying` is
        right from its first line)."""
        if self._entries is None:
            await self.entries()

    # -- __event_emitter__ / __event_call__ --------------------------------------------------

    async def emit(self, event: Any) -> None:
        await self.turn.emit(event)

    async def call(self, request: Any) -> Any:
        fields = check_question(request, self.turn.settings.question_timeout)
        seq = self._questions
        entries = await self.entries()
        entry = entries.get(f"q{seq}")
        if entry is not None and entry.get("status") != "pending":
            self._questions += 1
            return decode_resolution(entry)
        question = new_question(fields, run_id=self.run_id, seq=seq)
        question["thread_id"] = self.turn.thread_id
        raise ActionSuspended(question, self)

    # -- named steps -------------------------------------------------------------------------

    async def step(self, name: str, fn: Callable, args: tuple, kwargs: dict) -> Any:
        if not isinstance(name, str) or not name:
            raise ValueError("a step needs a non-empty name")
        occurrence = self._steps.get(name, 0)
        self._steps[name] = occurrence + 1
        key = f"s:{name}#{occurrence}"
        entries = await self.entries()
        if key in entries:
            return self._recorded(name, entries[key])
        settings = self.turn.settings

        def claim(current: dict) -> Optional[dict]:
            return None if key in current else {**current, key: {"status": "started"}}

        written = await records.update_journal(self.turn.store, self.run_id,
                                               settings.retention, claim)
        if written is None:  # another run of this action got there first
            self._entries = await records.load_journal(self.turn.store, self.run_id)
            return self._recorded(name, self._entries.get(key, {"status": "started"}))
        self._entries = written
        try:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        except BaseException:
            # The step raised, so its effect did not complete: forget the claim, a later
            # replay may try it again.
            await records.update_journal(self.turn.store, self.run_id, settings.retention,
                                         lambda current: {k: v for k, v in current.items()
                                                          if k != key})
            raise
        try:
            json.dumps(result)
        except (TypeError, ValueError) as error:
            raise ActionError(f"step {name!r} of action {self.name!r} returned a value that "
                              f"cannot be stored as JSON ({type(result).__name__}); return "
                              f"plain data from a step", action_name=self.name) from error
        done = {"status": "done", "result": result}
        self._entries = await records.update_journal(
            self.turn.store, self.run_id, settings.retention,
            lambda current: {**current, key: done})
        return result

    def _recorded(self, name: str, entry: dict) -> Any:
        if entry.get("status") == "done":
            return entry.get("result")
        raise StepOutcomeUnknownError(
            f"step {name!r} of action {self.name!r} started earlier but its result was never "
            "recorded (the process probably stopped inside it); it is not run again, since "
            "its side effect may have happened", action_name=self.name)


def require_turn(what: str) -> TurnScope:
    turn = current_turn.get()
    if turn is None:
        raise InteractionError(f"{what} works inside an action that rails runs (a turn, a "
                               "click or an answer), not on its own")
    return turn


async def emit_event(event: dict) -> None:
    await require_turn("emitting a UI event").emit(event)


async def step(name: str, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Runs `fn(*args, **kwargs)` (sync or async) at most once for this action run: a replay
    of the action after a question (or a restart) gets the recorded result instead. Outside a
    run that rails drives (tests calling the action directly, the actions server), `fn` just
    runs."""
    run = current_run.get()
    if run is None:
        result = fn(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result
    return await run.step(name, fn, args, kwargs)


@dataclass
class _Ask:
    """`await ask.input("Title", "Message", placeholder=...)`, `await ask.confirm(...)`."""

    timeout: Optional[float] = field(default=None)

    async def input(self, title: str = "", message: str = "", placeholder: str = "",
                    timeout: Optional[float] = None) -> Any:
        return await _ask("input", title, message, placeholder, timeout)

    async def confirm(self, title: str = "", message: str = "",
                      timeout: Optional[float] = None) -> Any:
        return await _ask("confirmation", title, message, "", timeout)


async def _ask(kind: str, title: str, message: str, placeholder: str,
               timeout: Optional[float]) -> Any:
    run = current_run.get()
    if run is None:
        raise InteractionError("asking the user works inside an action that rails runs (a "
                               "turn, a click or an answer), not on its own")
    request: dict = {"type": kind, "data": {"title": title, "message": message,
                                            "placeholder": placeholder}}
    if timeout is not None:
        request["timeout"] = timeout
    return await run.call(request)


ask = _Ask()
