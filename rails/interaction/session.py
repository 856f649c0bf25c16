"""The interactive side of one LLMRails: what a turn adds to its bot message (buttons, the
pending question, UI events), and the two ways a user answers outside a chat message — a
click and an answer — including resuming an action after a restart or on another worker.

The server tells this layer which store and thread a request belongs to with
`request_scope(...)`; a bare LLMRails keeps its records in memory.

A click runs its callback (or a toolbar button's action) as the caller `button` of
`rails.policy`, for the user of the request scope's `identity` (the server's) or else of the
conversation's `user` context variable; a refused click leaves the button as it was and the
bot answers with the refusal, as a flow's refused `execute` does."""
from __future__ import annotations

import contextlib
import contextvars
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from rails.errors import ButtonUnavailableError, ConfigError, InteractionError
from rails.events import new_event_dict
from rails.interaction import records
from rails.interaction.buttons import Button
from rails.interaction.callbacks import callback_action_name, find_callback
from rails.policy.audit import ActionAudit, current_audit
from rails.policy.identity import identity_from_context
from rails.policy.rules import denial_message
from rails.interaction.context import (ActionRun, ActionSuspended, Settings, TurnScope,
                                       current_run, current_turn)
from rails.interaction.questions import (CANCELLED, TIMED_OUT, NoAnswer, check_answer,
                                         encode_resolution, public_question)
from rails.interaction.runner import InteractiveRunner, action_helpers, utterances
from rails.interaction.store import InteractionStore, MemoryInteractionStore
from rails.messages import events_for_messages, history_key, response_from_events

log = logging.getLogger("rails.interaction")


@dataclass
class RequestScope:
    store: InteractionStore
    thread_id: Optional[str] = None
    user: Any = None
    config_ids: Optional[list] = None
    stream_ui_events: bool = False  # stream_async yields UIEvent dicts between text chunks
    new_thread: bool = False        # the thread id was made up for this turn: nothing pending
    identity: Any = None            # rails.policy Identity of a click (None: the conversation's)


_request_scope: contextvars.ContextVar[Optional[RequestScope]] = contextvars.ContextVar(
    "rails_interaction_request", default=None)


@contextlib.contextmanager
def request_scope(store: InteractionStore, thread_id: Optional[str] = None, user: Any = None,
                  config_ids: Optional[list] = None, stream_ui_events: bool = False,
                  new_thread: bool = False, identity: Any = None):
    """Turns run inside keep their buttons and questions in `store`, under `thread_id`;
    clicks run as `identity` when given."""
    token = _request_scope.set(RequestScope(store, thread_id, user, config_ids,
                                            stream_ui_events, new_thread, identity))
    try:
        yield
    finally:
        _request_scope.reset(token)


class Interactions:
    def __init__(self, rails: Any):
        self.rails = rails
        parts = rails._parts
        config = rails.config.interaction
        self.settings = Settings(question_timeout=config.question_timeout,
                                 max_answer_chars=config.max_answer_chars,
                                 retention=config.retention,
                                 declined_message=config.declined_message)
        self.store: InteractionStore = MemoryInteractionStore()
        self.message_buttons = _message_buttons(config.buttons)
        self.toolbar = _toolbar(config.toolbar, parts.dispatcher)
        self.dispatcher = parts.dispatcher
        self.runtime = parts.runtime
        self.runtime.action_runner = InteractiveRunner(parts.dispatcher, dict(config.confirm))
        self._click_intents = _click_intents(rails.config.flows or [])

    # -- scopes ------------------------------------------------------------------------------

    def scope(self, messages: list, *, thread_id: Optional[str] = None, user: Any = None,
              on_ui_event: Optional[Callable] = None,
              resuming: Optional[dict] = None) -> TurnScope:
        request = _request_scope.get()
        store = request.store if request is not None else self.store
        if thread_id is None and request is not None:
            thread_id = request.thread_id
        if user is None and request is not None:
            user = request.user
        return TurnScope(store, self.settings, thread_id=thread_id, user=user,
                         messages=messages, on_ui_event=on_ui_event, resuming=resuming)

    @contextlib.contextmanager
    def audited(self):
        """The permission decisions of a click or an answer, for `explain()`."""
        audit = ActionAudit()
        token = current_audit.set(audit)
        try:
            yield
        finally:
            current_audit.reset(token)
            self.rails._last_audit = audit

    @contextlib.contextmanager
    def active(self, turn: TurnScope):
        token = current_turn.set(turn)
        try:
            yield turn
        finally:
            current_turn.reset(token)

    # -- a chat turn -------------------------------------------------------------------------

    async def begin(self, turn: TurnScope, messages: list) -> None:
        """A new user message while a question is pending withdraws the question: the waiting
        action does not resume (its finished steps stay finished) and the message is a turn
        of its own. The question is found through the thread, or through the `interaction`
        field of the last bot message in `messages`."""
        pending: list[dict] = []
        request = _request_scope.get()
        if request is not None and request.new_thread:
            return
        if turn.thread_id is not None:
            pending = await records.pending_questions(turn.store, turn.thread_id)
        else:
            for message in reversed(messages[:-1]):
                if message.get("role") == "assistant":
                    field = message.get("interaction")
                    if isinstance(field, dict) and isinstance(field.get("id"), str):
                        record = await turn.store.get(f"question:{field['id']}")
                        if record is not None and record.get("status") == "pending":
                            pending.append(record)
                    break
        for question in pending:
            with contextlib.suppress(InteractionError):
                await records.close_question(turn.store, question, "withdrawn",
                                             allow_expired=True)

    async def finish(self, turn: TurnScope, message: dict, new_events: list,
                     history: Optional[list] = None) -> dict:
        """Adds what the turn's actions attached to `message`, and stores its buttons."""
        self._buttons_for_bot_messages(turn, new_events)
        texts = [m.content for m in turn.loose_messages if m.content]
        content = message.get("content") if isinstance(message.get("content"), str) else None
        if content is not None:
            content = "\n".join([t for t in [content, *texts] if t])
            for event in turn.ui_events:
                if event["type"] == "message":
                    content += str(event["data"].get("content", ""))
                elif event["type"] == "replace":
                    content = str(event["data"].get("content", ""))
            message["content"] = content
        if self.toolbar and message.get("role") == "assistant":
            for entry in self.toolbar:
                button = Button(entry["id"], entry["label"], None, entry.get("tooltip"),
                                entry.get("icon"), reusable=True)
                button.kind, button.action = "toolbar", entry["action"]
                turn.add_buttons([button])
            if turn.thread_id is not None:
                await self._retire_last_only_toolbars(turn)
        if turn.buttons:
            for button in turn.buttons:
                button.id = button.id or "btn_" + secrets.token_hex(12)
            await records.save_buttons(turn.store, turn.thread_id, turn.buttons,
                                       self.settings.retention)
            conversation = list(history or turn.messages) + [
                {"role": message.get("role"), "content": message.get("content")}]
            await turn.store.put(f"message:{turn.message_id}",
                                 {"messages": conversation, "thread_id": turn.thread_id},
                                 ttl=self.settings.retention)
            message["buttons"] = [button.wire() for button in turn.buttons]
        ui_events = list(turn.ui_events)
        if turn.removed:
            ui_events.append({"type": "buttons_removed", "data": {"ids": list(turn.removed)}})
        if ui_events:
            message["ui_events"] = ui_events
        return message

    def _buttons_for_bot_messages(self, turn: TurnScope, new_events: list) -> None:
        """Buttons configured for a predefined bot message (`interaction.buttons`), attached
        when the bot really said it (the utterance followed its intent)."""
        if not self.message_buttons:
            return
        intent = None
        for event in new_events:
            kind = event.get("type")
            if kind == "BotIntent":
                intent = event.get("intent")
            elif kind == "StartUtteranceBotAction" and intent in self.message_buttons:
                turn.add_buttons([Button.from_spec(spec, "interaction.buttons")
                                  for spec in self.message_buttons[intent]])
                intent = None

    async def _retire_last_only_toolbars(self, turn: TurnScope) -> None:
        last_only = {entry["id"] for entry in self.toolbar if entry["messages"] == "last"}
        if not last_only:
            return
        for record in await records.live_buttons(turn.store, turn.thread_id):
            if record.get("kind") == "toolbar" and record.get("name") in last_only:
                await records.remove_button(turn.store, record["id"])

    async def suspended(self, turn: TurnScope, suspended: ActionSuspended, *,
                        resume: dict, texts: list, history: list) -> dict:
        """The bot message of a turn that ends with a question: what was said so far, the
        question, and the record that lets any process resume the action."""
        question = suspended.question
        run = suspended.run
        content = "\n".join(t for t in [*texts, *(m.content for m in run.sent)] if t)
        message = await self.finish(turn, {"role": "assistant", "content": content}, [],
                                    history=history)
        visible = {"role": "assistant", "content": message["content"]}
        request = _request_scope.get()
        question.update({"resume": resume, "messages": list(history), "reply": visible,
                         "config_ids": request.config_ids if request else None})
        await records.update_journal(
            turn.store, run.run_id, self.settings.retention,
            lambda entries: {**entries, f"q{question['seq']}": {
                "status": "pending", "question_id": question["id"]}})
        await records.save_question(turn.store, question, self.settings.retention)
        message["interaction"] = public_question(question)
        return message

    # -- clicks ------------------------------------------------------------------------------

    async def click(self, button_id: Any, *, thread_id: Optional[str] = None,
                    messages: Optional[list] = None, idempotency_key: Optional[str] = None,
                    on_ui_event: Optional[Callable] = None, user: Any = None) -> dict:
        turn = self.scope([], thread_id=thread_id, user=user, on_ui_event=on_ui_event)
        store = turn.store
        kept = await records.stored_reply(store, f"click:{button_id}", idempotency_key)
        if kept is not None:
            return kept["message"]
        peek = await store.get(f"button:{button_id}") if isinstance(button_id, str) else None
        if peek is not None and not self._handles(peek):
            raise ButtonUnavailableError(
                f"button {button_id!r} ({peek.get('name')!r}) has no callback "
                f"(@action_callback({peek.get('name')!r})) and no flow matching "
                f"`user clicked {peek.get('name')}` in this config", status=422,
                code="button_unhandled", param="button_id")
        with self.audited():
            if peek is not None and peek.get("status") == "live" and (
                    turn.thread_id is None or peek.get("thread_id") == turn.thread_id):
                # Checked before the claim, so a refused click leaves the button live.
                if messages is None:
                    messages = await self._button_conversation(store, peek.get("message_id"))
                refused = self._click_refusal(peek, messages)
                if refused is not None:
                    turn.messages = messages
                    return await self.finish(turn, {"role": "assistant",
                                                    "content": denial_message(refused)}, [],
                                             history=messages)
            record = await records.claim_button(store, button_id, turn.thread_id)
            button = Button.from_record(record)
            if messages is None:
                messages = await self._button_conversation(store, button.for_id)
            turn.messages = messages
            run_id = "click_" + secrets.token_hex(10)
            message = await self._run_click(turn, button, run_id, messages)
        await records.keep_reply(store, f"click:{button_id}", idempotency_key,
                                 {"message": message}, self.settings.retention)
        return message

    async def _button_conversation(self, store: InteractionStore,
                                   message_id: Optional[str]) -> list:
        kept = await store.get(f"message:{message_id}")
        return list(kept["messages"]) if kept else []

    def _click_refusal(self, record: dict, messages: list) -> Any:
        """The PermissionDenied of the action a click on `record` runs (caller `button`), or
        None. A click a Colang flow handles (`user clicked <name>`) runs no action itself:
        the flow's actions are checked as the caller `flow`."""
        if record.get("kind") == "toolbar":
            name = record.get("action")
        elif find_callback(self.dispatcher, record.get("name") or "") is not None:
            name = self._callback_name(record["name"])
        else:
            return None
        request = _request_scope.get()
        identity = request.identity if request is not None and request.identity is not None \
            else identity_from_context(_conversation_context(messages))
        return self.dispatcher.check_permission(name, "button", identity)

    def _callback_name(self, button_name: str) -> str:
        """The action name of a button's callback, registered on first use (callbacks
        declared in code are not in the config's registry until then)."""
        name = callback_action_name(button_name)
        if not self.dispatcher.has(name):
            self.dispatcher.register_action(find_callback(self.dispatcher, button_name),
                                            name=name)
        return name

    def _handles(self, record: dict) -> bool:
        if record.get("kind") == "toolbar":
            return self.dispatcher.has(record.get("action") or "")
        name = record.get("name") or ""
        return (find_callback(self.dispatcher, name) is not None
                or f"clicked {name}" in self._click_intents)

    async def _run_click(self, turn: TurnScope, button: Button, run_id: str,
                         messages: list) -> dict:
        events, state = self._conversation(messages)
        if button.kind == "toolbar" or find_callback(self.dispatcher, button.name) is not None:
            return await self._run_callback(turn, button, run_id, messages, events, state)
        # Colang: the click is the user intent `clicked <name>`, the button in `$button`.
        start = len(events)
        events.append(new_event_dict("ContextUpdate", data={"button": _button_context(button)}))
        events.append(new_event_dict("UserIntent", intent=f"clicked {button.name}"))
        return await self._run_runtime(turn, events, state, start, messages)

    async def _run_callback(self, turn: TurnScope, button: Button, run_id: str,
                            messages: list, events: list, state: Any) -> dict:
        run = ActionRun(turn, run_id, button.name)
        await run.prepare()
        name, params, extra_body, action_id = self._callback_call(button, messages)
        helpers = action_helpers(run, turn, name, {}, extra_body=extra_body,
                                 action_id=action_id)
        context = dict(state.action_context) if state is not None else {}
        injected = {**self.rails._parts.action_params, **helpers, "state": state}
        with self.active(turn):
            token = current_run.set(run)
            try:
                outcome = await self.dispatcher.execute(name, params, context=context,
                                                        events=events, injected=injected)
            except ActionSuspended as suspended:
                return await self.suspended(turn, suspended, resume={
                    "kind": "callback", "button": button.record(), "run_id": run_id},
                    texts=[], history=messages)
            finally:
                current_run.reset(token)
        texts = [m.content for m in run.sent if m.content]
        if not outcome.is_success:
            log.error("callback of button %r failed: %r", button.name, outcome.error,
                      exc_info=outcome.error)
            texts.append(self.runtime.fallback_message)
        elif button.kind == "toolbar" and outcome.return_value is not None:
            value = outcome.return_value
            if isinstance(value, str):
                texts.append(value)
            else:
                event = value if isinstance(value, dict) and "type" in value else {
                    "type": "result", "data": value}
                turn.ui_events.append({"type": str(event["type"]),
                                       "data": _plain_data(event.get("data"))})
        new = [new_event_dict("ContextUpdate", data={"button": _button_context(button)})]
        new += utterances(texts)
        if outcome.context_updates:
            new.append(new_event_dict("ContextUpdate", data=dict(outcome.context_updates)))
        events.extend(new)
        message = await self.finish(turn, {"role": "assistant", "content": "\n".join(texts)},
                                    new, history=messages)
        self._remember(messages, message, events, state)
        return message

    def _callback_call(self, button: Button, messages: list) -> tuple:
        """The action to run for a click: (name, params, extra body, __id__)."""
        if button.kind == "toolbar":
            message = next((m for m in reversed(messages) if m.get("role") == "assistant"),
                           None)
            return button.action, {}, {"message": message, "message_id": button.for_id}, \
                button.name
        name = self._callback_name(button.name)
        spec = self.dispatcher.spec(name)
        first = spec.positional[0] if spec is not None and spec.positional else "action"
        return name, {first: button}, {"button": _button_context(button)}, button.name

    # -- answers -----------------------------------------------------------------------------

    async def answer(self, interaction_id: Any, value: Any = None, *, cancel: bool = False,
                     thread_id: Optional[str] = None, idempotency_key: Optional[str] = None,
                     on_ui_event: Optional[Callable] = None, user: Any = None) -> dict:
        turn = self.scope([], thread_id=thread_id, user=user, on_ui_event=on_ui_event)
        store = turn.store
        question = await records.get_question(store, interaction_id, turn.thread_id)
        kept = await records.stored_reply(store, f"answer:{interaction_id}", idempotency_key)
        if kept is not None:
            return kept["message"]
        resolution = CANCELLED if cancel else check_answer(question, value,
                                                           self.settings.max_answer_chars)
        status = "cancelled" if cancel else "answered"
        closed = await records.close_question(store, question, status,
                                              value=None if cancel else resolution,
                                              reply_key=idempotency_key)
        with self.audited():
            message = await self._resume(turn, closed, resolution)
        await records.keep_reply(store, f"answer:{interaction_id}", idempotency_key,
                                 {"message": message}, self.settings.retention)
        return message

    async def expire_due(self, *, limit: int = 100,
                         on_resumed: Optional[Callable] = None) -> int:
        """Resumes the actions whose questions timed out (they get `TIMED_OUT`); returns how
        many. `on_resumed(question, message)` receives each resumed bot message (the server
        appends it to the thread)."""
        store = self.scope([]).store
        count = 0
        for question_id in await records.due_questions(store, time.time(), limit):
            question = await store.get(f"question:{question_id}")
            if question is None or question.get("status") != "pending":
                await store.index_remove(records.PENDING_INDEX, question_id)
                continue
            message = await self.expire(question)
            if message is not None:
                count += 1
                if on_resumed is not None:
                    await on_resumed(question, message)
        return count

    async def expire(self, question: dict) -> Optional[dict]:
        """Resumes the action of a question past its timeout with `TIMED_OUT`; None when
        another worker (or an answer) closed it first."""
        scope = self.scope([], thread_id=question.get("thread_id"))
        try:
            closed = await records.close_question(scope.store, question, "timeout",
                                                  allow_expired=True)
        except InteractionError:
            return None
        return await self._resume(scope, closed, TIMED_OUT)

    async def _resume(self, turn: TurnScope, question: dict, resolution: Any) -> dict:
        await records.update_journal(
            turn.store, question["run_id"], self.settings.retention,
            lambda entries: {**entries, f"q{question['seq']}": {
                **encode_resolution(resolution), "question_id": question["id"]}})
        turn.thread_id = question.get("thread_id")
        history = list(question.get("messages") or []) + [question["reply"]]
        turn.messages = history
        turn.resuming = {question["run_id"]: question}
        resume = question["resume"]
        if resume["kind"] == "execute":
            events = list(resume["events"])
            return await self._run_runtime(turn, events, None, len(events), history)
        button = Button.from_record(resume["button"])
        events, state = self._conversation(history)
        return await self._run_callback(turn, button, question["run_id"], history, events,
                                        state)

    # -- running the flows -------------------------------------------------------------------

    async def _run_runtime(self, turn: TurnScope, events: list, state: Any, start: int,
                           history: list) -> dict:
        from rails.llm.call import LLMCallLog, current_call_log
        from rails.runtime import TurnLog

        call_log = LLMCallLog()
        token = current_call_log.set(call_log)
        try:
            with self.active(turn):
                try:
                    new_events, state = await self.runtime.run(events, state, TurnLog())
                except ActionSuspended as suspended:
                    texts = [e["script"] for e in events[start:]
                             if e["type"] == "StartUtteranceBotAction"]
                    return await self.suspended(turn, suspended, resume={
                        "kind": "execute", "events": events}, texts=texts, history=history)
        finally:
            current_call_log.reset(token)
        message = response_from_events(events[start:])
        message = await self.finish(turn, message, events[start:], history=history)
        self._remember(history, message, events, state)
        return message

    def _conversation(self, messages: list) -> tuple[list, Any]:
        """The events and state of a conversation that ends with `messages`: from LLMRails'
        cache when this process produced it, else rebuilt from the messages."""
        rails = self.rails
        if messages:
            key = history_key(messages)
            with rails._history_lock:
                cached = rails._history.get(key)
            if cached is not None:
                events, length, state = cached
                return list(events[:length]), state.snapshot()
        return (events_for_messages(messages) if messages else []), None

    def _remember(self, history: list, message: dict, events: list, state: Any) -> None:
        if state is None or message.get("role") != "assistant":
            return
        self.rails._remember(history_key(list(history) + [message]), events, state)



def streams_ui_events() -> bool:
    request = _request_scope.get()
    return request is not None and request.stream_ui_events


async def thread_view(store: InteractionStore, thread_id: str) -> dict:
    """A thread's live buttons (with the id of the message each belongs to) and its pending
    question."""
    buttons = [{**Button.from_record(record).wire(), "message_id": record.get("message_id")}
               for record in await records.live_buttons(store, thread_id)]
    pending = await records.pending_questions(store, thread_id)
    return {"buttons": buttons,
            "interaction": public_question(pending[-1]) if pending else None}


def _conversation_context(messages: list) -> dict:
    """The context variables the conversation's context messages set (`user` among them)."""
    context: dict = {}
    for message in messages:
        if message.get("role") == "context" and isinstance(message.get("content"), dict):
            context.update(message["content"])
    return context


def _plain_data(value: Any) -> Any:
    """JSON-ready data for the UI: an unanswered question's NoAnswer becomes null."""
    if isinstance(value, dict):
        return {key: _plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_data(item) for item in value]
    return None if isinstance(value, NoAnswer) else value


def _button_context(button: Button) -> dict:
    return {"id": button.id, "name": button.name, "label": button.label,
            "payload": button.payload}


def _message_buttons(raw: dict) -> dict:
    out = {}
    for name, specs in (raw or {}).items():
        where = f"interaction.buttons.{name}"
        try:
            out[name] = [Button.from_spec(spec, where) for spec in specs]
        except ValueError as error:
            raise ConfigError(str(error), key=where) from error
    return out


def _toolbar(raw: list, dispatcher: Any) -> list:
    entries = []
    for index, spec in enumerate(raw or []):
        where = f"interaction.toolbar[{index}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("action"), str):
            raise ConfigError("a toolbar entry needs `action` (the Action Function to run) "
                              "and `label`", key=where)
        unknown = set(spec) - {"id", "action", "label", "icon", "tooltip", "messages"}
        if unknown:
            raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}", key=where)
        messages = spec.get("messages", "all")
        if messages not in ("all", "last"):
            raise ConfigError(f"`messages` must be 'all' or 'last', not {messages!r}",
                              key=where)
        if not dispatcher.has(spec["action"]):
            raise ConfigError(dispatcher.not_found_message(spec["action"]),
                              key=f"{where}.action")
        entries.append({"id": spec.get("id") or spec["action"], "action": spec["action"],
                        "label": spec.get("label") or spec["action"],
                        "icon": spec.get("icon"), "tooltip": spec.get("tooltip"),
                        "messages": messages})
    return entries


def _click_intents(flows: list) -> set:
    intents = set()
    for flow in flows:
        for element in flow.get("elements", ()):
            if element.get("_type") == "UserIntent":
                name = element.get("intent_name") or ""
                if name.startswith("clicked "):
                    intents.add(name)
    return intents
