"""LLMRails: the public object that ties a configuration, the interpreter, actions and models."""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Optional, Union

from rails.llm.call import LLMCallLog, current_call_log
from rails.llm.passthrough import passthrough_conversation, prior_messages, raw_llm_request
from rails.policy.audit import ActionAudit, current_audit
from rails.messages import (HistoryKey, events_for_messages, history_key,
                            response_from_events, validate_messages)
from rails.nemo_api import NemoRailsAPI
from rails.runtime import DialogState, Runtime, TurnLog
from rails.sync import LoopThread

if TYPE_CHECKING:  # imported when first needed: start-up time
    import asyncio

    from rails.config import RailsConfig
    from rails.options import ExplainInfo, GenerationOptions, GenerationResponse, RailsResult

log = logging.getLogger("rails")

HISTORY_CACHE_SIZE = 2048


class LLMRails(NemoRailsAPI):
    """Rails around an LLM, driven by a RailsConfig.

    `generate(messages=[...])` runs one turn: input rails, dialog flows, bot message
    generation, output rails. The conversation's state is carried forward between calls, so a
    turn costs the same however long the conversation already is.
    """

    def __init__(self, config: "RailsConfig", llm: Any = None, verbose: bool = False):
        from rails.assembly import assemble

        self.config = config
        self.verbose = verbose
        self._last_turn: tuple | None = None
        self._last_audit: ActionAudit | None = None  # permission decisions, tool-choice steps
        # Message history -> (the conversation's event list, how many of its events that history
        # covers, the state after them). The turns of one conversation share one list (see
        # `_events_from_cache`), so memory grows with its length, not with its square.
        self._history: OrderedDict[HistoryKey, tuple[list[dict], int, DialogState]] = (
            OrderedDict())
        # Claiming a cached list is check-then-extend: atomic only with a lock when the sync API
        # (its own loop thread) and the async one serve the same conversation at once.
        self._history_lock = threading.Lock()
        self._state_cache: OrderedDict[str, DialogState] = OrderedDict()
        self._loop_thread = LoopThread()
        self._ready: asyncio.Future | None = None
        self._prepared = False
        self._parts = assemble(config, llm)
        self._tracer = None
        if config.tracing.enabled:  # off by default: then nothing of tracing is imported
            from rails.tracing import Tracer

            self._tracer = Tracer(config)
        from rails.interaction.session import Interactions

        self._interactions = Interactions(self)  # buttons, questions, UI events
        for module in self._parts.config_modules:  # config.py: init(app) sees a ready app
            if callable(getattr(module, "init", None)):
                module.init(self)
        if verbose:
            logger = logging.getLogger("rails")
            logger.setLevel(logging.INFO)
            if not logger.handlers and not logging.getLogger().handlers:
                logger.addHandler(logging.StreamHandler())

    # -- the parts, for users who reach in -------------------------------------------------

    @property
    def llm(self) -> Any:
        return self._parts.llm

    @property
    def runtime(self) -> Runtime:
        return self._parts.runtime

    @property
    def llm_task_manager(self) -> Any:
        return self._parts.task_manager

    # -- generation ------------------------------------------------------------------------

    async def generate_async(self, prompt: Optional[str] = None,
                             messages: Optional[list[dict]] = None,
                             options: Union[dict, GenerationOptions, None] = None,
                             state: Optional[dict] = None, *, thread_id: Optional[str] = None,
                             on_ui_event: Optional[Callable] = None) -> Any:
        """One turn. Returns the assistant message (a dict), the text when `prompt` was given,
        or a GenerationResponse when `options` or `state` were given.

        The message carries `buttons`, a pending `interaction` (a question an action asks)
        and `ui_events` when the turn produced them. `on_ui_event(event)` (sync or async) sees
        each UI event as it is emitted; `thread_id` files buttons and questions under that
        conversation (docs/interactive-actions.md)."""
        return await self._generate(prompt, messages, options, state, None, thread_id,
                                    on_ui_event)

    async def _generate_observed(self, observer: Any, prompt=None, messages=None,
                                 options=None, state=None, thread_id=None,
                                 on_ui_event=None) -> Any:
        return await self._generate(prompt, messages, options, state, observer, thread_id,
                                    on_ui_event)

    async def _generate(self, prompt, messages, options, state, observer, thread_id=None,
                        on_ui_event=None) -> Any:
        from rails.interaction.context import ActionSuspended, current_turn
        from rails.stream_checks import checking_window

        if (prompt is None) == (messages is None):
            raise ValueError("pass exactly one of `prompt` or `messages`")
        structured = options is not None or state is not None
        if structured:
            from rails.option_parsing import coerce_options

            options = coerce_options(options)
        prior = prior_messages.get()  # (kept by a server thread)
        messages = validate_messages([{"role": "user", "content": prompt}]
                                     if prompt is not None else list(messages),
                                     allow_tools=bool(self.config.passthrough),
                                     tool_sequence=not prior)
        if (options is not None and options.llm_params) or prior:
            from rails.tool_messages import check_tool_params, check_tool_sequence

            check_tool_params(self.config, options and options.llm_params)  # passthrough
            if prior:
                check_tool_sequence(list(prior) + messages)
        raw_llm_request.set(prompt if prompt is not None  # passthrough
                            else passthrough_conversation(list(messages)))
        history = list(messages)
        if options is not None:
            messages = [{"role": "context",
                         "content": {"generation_options": options.model_dump()}}] + messages
            if messages[-1]["role"] == "assistant" and options.rails.dialog is False:
                # Output-rails-only check of a given bot message.
                messages[0] = {"role": "context", "content": {
                    **messages[0]["content"], "bot_message": messages[-1]["content"]}}
                messages = messages[:-1]

        await self._ensure_ready()
        started = time.time()

        if state is not None:
            events, dialog_state = self._events_from_state(state, messages)
        else:
            key = history_key(messages)
            events, dialog_state = self._events_from_cache(messages, key)

        interactions = self._interactions
        turn = interactions.scope(history, thread_id=thread_id, on_ui_event=on_ui_event)
        await interactions.begin(turn, history)
        turn_start = len(events)
        turn_log = (TurnLog(on_event=observer.on_event, action_scope=observer.action_scope)
                    if observer is not None else TurnLog())
        call_log = LLMCallLog()
        # A window check of streamed text is part of the streamed turn, not a turn to explain.
        remember = not checking_window.get()
        stream_checks = getattr(observer, "stream_checks", None)
        if stream_checks is not None and remember:
            # A streamed turn is "the last turn" from its start: a blocked stream cuts it short.
            self._last_turn = (events, None, call_log.calls, turn_log.errors, stream_checks)
        token = current_call_log.set(call_log)
        audit = ActionAudit()
        audit_token = current_audit.set(audit)
        turn_token = current_turn.set(turn)
        runtime = self._parts.runtime
        previous_propagate = runtime.propagate_errors
        suspended = None
        try:
            if options is not None and options.raise_errors:
                runtime.propagate_errors = True
            new_events, dialog_state = await runtime.run(events, dialog_state, turn_log)
        except ActionSuspended as error:  # an action asked the user: the turn ends here
            suspended = error
            new_events = events[turn_start:]
            dialog_state = dialog_state or runtime.replay(events)
        finally:
            runtime.propagate_errors = previous_propagate
            current_call_log.reset(token)
            current_audit.reset(audit_token)
            current_turn.reset(turn_token)
        if remember:
            self._last_audit = audit

        all_events = events  # extended in place by the runtime
        if suspended is not None:
            new_message = await interactions.suspended(
                turn, suspended, resume={"kind": "execute", "events": all_events},
                texts=[e["script"] for e in new_events if e["type"] == "StartUtteranceBotAction"],
                history=history)
        else:
            new_message = await interactions.finish(turn, response_from_events(new_events),
                                                    new_events, history=history)
        if suspended is not None:
            pass  # the turn resumes from the question's record, not from this cache
        elif state is None:
            self._remember(key + history_key([new_message]), all_events, dialog_state)
        else:
            self._remember_state(all_events, dialog_state)
        # (with a length: the next turn may extend the list in place)
        if remember:
            self._last_turn = (all_events, len(all_events), call_log.calls, turn_log.errors,
                               stream_checks)
        if self.verbose:
            log.info("turn took %.1f ms, %d LLM call(s)", (time.time() - started) * 1000,
                     len(call_log.calls))
        if self._tracer is not None:
            await self._tracer.trace_turn(turn_log, messages=history, response=new_message,
                                          started=started, finished=time.time())
        if not structured:
            return new_message["content"] if prompt is not None else new_message
        return self._structured_response(prompt, options, new_message, new_events,
                                         all_events, dialog_state, turn_log, state is not None)

    def generate(self, prompt: Optional[str] = None, messages: Optional[list[dict]] = None,
                 options: Union[dict, GenerationOptions, None] = None,
                 state: Optional[dict] = None, *, thread_id: Optional[str] = None,
                 on_ui_event: Optional[Callable] = None) -> Any:
        """The synchronous form of `generate_async`; also works inside a running event loop."""
        return self._loop_thread.run(self.generate_async(
            prompt=prompt, messages=messages, options=options, state=state,
            thread_id=thread_id, on_ui_event=on_ui_event))

    # -- interactive actions: clicks and answers ---------------------------------------------

    async def click_async(self, button_id: str, *, messages: Optional[list[dict]] = None,
                          thread_id: Optional[str] = None,
                          on_ui_event: Optional[Callable] = None,
                          idempotency_key: Optional[str] = None) -> dict:
        """Clicks a button of an earlier bot message; returns the bot message that follows
        (like `generate_async`). `messages`: the conversation up to the button's message
        (default: as it was then). A used or removed button raises ButtonUnavailableError,
        an unknown one ButtonNotFoundError; nothing runs then."""
        await self._ensure_ready()
        return await self._interactions.click(button_id, thread_id=thread_id,
                                              messages=messages, on_ui_event=on_ui_event,
                                              idempotency_key=idempotency_key)

    def click(self, button_id: str, **kwargs: Any) -> dict:
        return self._loop_thread.run(self.click_async(button_id, **kwargs))

    async def answer_async(self, interaction_id: str, value: Any = None, *,
                           cancel: bool = False, thread_id: Optional[str] = None,
                           on_ui_event: Optional[Callable] = None,
                           idempotency_key: Optional[str] = None) -> dict:
        """Answers the question an action asked (a string for `input`, a bool for
        `confirmation`; `cancel=True` resumes it with `CANCELLED`). The action resumes, in
        this process or any other sharing the store; returns the bot message that follows."""
        await self._ensure_ready()
        return await self._interactions.answer(interaction_id, value, cancel=cancel,
                                               thread_id=thread_id, on_ui_event=on_ui_event,
                                               idempotency_key=idempotency_key)

    def answer(self, interaction_id: str, value: Any = None, **kwargs: Any) -> dict:
        return self._loop_thread.run(self.answer_async(interaction_id, value, **kwargs))

    async def expire_interactions_async(self) -> list[dict]:
        """Resumes, with `TIMED_OUT`, the actions whose questions passed their timeout;
        returns the bot messages that follow, one per question. (The server does this on its
        own every second.)"""
        await self._ensure_ready()
        resumed: list[dict] = []

        async def collect(question: dict, message: dict) -> None:
            resumed.append(message)

        await self._interactions.expire_due(on_resumed=collect)
        return resumed

    def expire_interactions(self) -> list[dict]:
        return self._loop_thread.run(self.expire_interactions_async())

    def register_callback(self, name: str, callback: Callable, *,
                          roles: Optional[list] = None,
                          organisations: Optional[list] = None) -> "LLMRails":
        """Runs `callback(button, ...)` when a button named `name` is clicked (the same as
        `@action_callback(name, roles=..., organisations=...)` in actions.py)."""
        from rails.interaction.callbacks import action_callback

        self._parts.dispatcher.register_action(action_callback(
            name, roles=roles, organisations=organisations)(callback))
        return self

    async def generate_events_async(self, events: list[dict]) -> list[dict]:
        """The event-based interface: the whole history in, the new events out."""
        if not isinstance(events, list) or not events:
            raise ValueError("`events` must be a non-empty list of event dicts")
        await self._ensure_ready()
        call_log = LLMCallLog()
        token = current_call_log.set(call_log)
        try:
            state = self._cached_state(events)
            new_events, state = await self._parts.runtime.generate_events(events, state)
        finally:
            current_call_log.reset(token)
        self._remember_state(events + new_events, state)
        all_events = events + new_events
        self._last_turn = (all_events, len(all_events), call_log.calls, [], None)
        return new_events

    def generate_events(self, events: list[dict]) -> list[dict]:
        return self._loop_thread.run(self.generate_events_async(events))

    def stream_async(self, prompt: Optional[str] = None,
                     messages: Optional[list[dict]] = None,
                     options: Union[dict, GenerationOptions, None] = None,
                     state: Optional[dict] = None, include_metadata: bool = False,
                     generator: Optional[AsyncIterator[Any]] = None,
                     include_generation_metadata: Optional[bool] = None, *,
                     ui_events: bool = False,
                     thread_id: Optional[str] = None,
                     on_result: Optional[Callable[[Any], None]] = None) -> AsyncIterator[Any]:
        """The bot's answer as it is produced. Without output rails, LLM tokens as they
        arrive; with output rails and `rails.output.streaming.enabled`, tokens checked window
        by window (a block ends the stream with NeMo's JSON error chunk); otherwise each
        approved message as one chunk. `generator`: stream that text instead of a turn's,
        through the same rails; `include_metadata`: `{"text", "generation_info"}` chunks.

        With `ui_events=True` the UI events of the turn come in between, as `UIEvent` dicts
        (`{"type", "data"}`), and the turn's buttons and pending question come last as
        events of type `buttons` and `interaction`. `state` continues a conversation as in
        `generate_async`; `on_result` is called with what `generate_async` would have
        returned (e.g. the new `state`) once the turn ends."""
        from rails.streaming import stream_turn

        if include_generation_metadata is not None:  # NeMo's older name
            include_metadata = include_generation_metadata
        return stream_turn(self, prompt=prompt, messages=messages, options=options,
                           state=state, include_metadata=include_metadata,
                           generator=generator, ui_events=ui_events, thread_id=thread_id,
                           on_result=on_result)

    async def check_async(self, messages: list[dict],
                          rail_types: Optional[list] = None) -> "RailsResult":
        """Run the input and/or output rails on `messages` (no dialog, no generation): the
        `rail_types` given (`[RailType.INPUT]`, ...), or those the roles call for. Returns a
        RailsResult: PASSED, MODIFIED (with the rewritten content) or BLOCKED (with the
        refusal and the rail). Raises RailTypeNotConfiguredError for a type with no rails."""
        from rails.checks import check_messages

        return await check_messages(self, messages, rail_types)

    def check(self, messages: list[dict], rail_types: Optional[list] = None) -> "RailsResult":
        """The synchronous form of `check_async`; also works inside a running event loop."""
        return self._loop_thread.run(self.check_async(messages, rail_types=rail_types))

    def explain(self) -> "ExplainInfo":
        """The LLM calls, the Colang history and any errors of the last turn (built on request,
        so turns do not pay for it); for a streamed turn with streaming output rails also
        every window check in order (`stream_checks`), whose LLM calls and errors count as
        the turn's."""
        from rails.generation_log import error_info, to_llm_call_info
        from rails.options import ExplainInfo

        audit = self._last_audit or ActionAudit()
        if self._last_turn is None:  # (a click or an answer may have decided something)
            return ExplainInfo(action_decisions=[d.as_dict() for d in audit.decisions])
        from rails.llm.history import get_colang_history

        events, length, calls, errors, stream_checks = self._last_turn
        events = events[:length]
        checks = list(stream_checks or [])
        return ExplainInfo(llm_calls=[to_llm_call_info(call) for call in calls]
                           + [call for check in checks for call in check.llm_calls],
                           colang_history=get_colang_history(events),
                           errors=[error_info(error) for error in errors]
                           + [error for check in checks for error in check.errors],
                           action_decisions=[d.as_dict() for d in audit.decisions],
                           tool_steps=list(audit.steps), stream_checks=checks)

    @property
    def explain_info(self) -> "ExplainInfo | None":
        """NeMo's attribute for the last turn's information (None before the first turn)."""
        return None if self._last_turn is None else self.explain()

    async def aclose(self) -> None:
        """Close pooled connections (actions server, built-in model engine). The instance can
        still be used afterwards: clients are re-created on demand."""
        parts = self._parts
        closables = [parts.runtime.remote, *{id(m): m for m in parts.llms.values()}.values()]
        for resource in closables:
            close = getattr(resource, "aclose", None)
            if close is not None:
                await close()

    # -- registration ----------------------------------------------------------------------

    def register_action(self, action: Callable, name: Optional[str] = None) -> "LLMRails":
        self._parts.dispatcher.register_action(action, name=name)
        return self

    def register_actions(self, actions_obj: Any) -> "LLMRails":
        self._parts.dispatcher.register_actions(actions_obj)
        return self

    def register_action_param(self, name: str, value: Any) -> "LLMRails":
        """Make `value` available to every action that has a parameter called `name`.
        `<type>_llm` also replaces the configured model of that type in `llms`."""
        params = self._parts.action_params
        params[name] = value
        model_type = name[:-4] if name.endswith("_llm") else None
        if model_type and model_type in params["llms"]:
            params["llms"][model_type] = value
        return self

    def register_filter(self, filter_fn: Callable, name: Optional[str] = None) -> "LLMRails":
        self._parts.task_manager.register_filter(filter_fn, name)
        return self

    def register_output_parser(self, output_parser: Callable, name: str) -> "LLMRails":
        self._parts.task_manager.register_output_parser(output_parser, name)
        return self

    def register_prompt_context(self, name: str, value_or_fn: Any) -> "LLMRails":
        self._parts.task_manager.register_prompt_context(name, value_or_fn)
        return self

    def register_embedding_search_provider(self, name: str, cls: type) -> "LLMRails":
        self._parts.search_providers[name] = cls
        self._ready, self._prepared = None, False  # rebuilt with it on the next call
        return self

    # -- internals -------------------------------------------------------------------------

    async def _ensure_ready(self) -> None:
        """Build the search indexes once, on first use (concurrent first calls share it)."""
        if self._prepared:
            return
        import asyncio

        ready = self._ready
        if ready is None or ready.get_loop() is not asyncio.get_running_loop():
            ready = self._ready = asyncio.ensure_future(self._parts.prepare())
        await asyncio.shield(ready)
        self._prepared = True

    def _events_from_cache(self, messages: list[dict],
                           key: HistoryKey) -> tuple[list[dict], DialogState | None]:
        """Reuse the real events (and the flow state) of the longest conversation prefix seen
        before; only the new messages are turned into events.

        The usual next turn extends the cached event list in place. Only when that list already
        went on past the prefix (a regenerated answer, an edited message) does the turn branch
        off with a copy; appending the new events claims the list."""
        for end in range(len(messages) - 1, 0, -1):
            prefix = key.prefix(end)
            with self._history_lock:
                cached = self._history.get(prefix)
                if cached is None:
                    continue
                self._history.move_to_end(prefix)
                events, length, state = cached
                new = events_for_messages(messages, end)
                if len(events) != length or not new:
                    events = events[:length]
                events.extend(new)
            return events, state.snapshot()
        return events_for_messages(messages), None

    def _events_from_state(self, state: dict, messages: list[dict]):
        if not isinstance(state, dict) or not isinstance(state.get("events", []), list):
            raise ValueError("`state` must be a dict like {'events': [...]}, as returned in "
                             "GenerationResponse.state")
        prior = state.get("events") or []
        dialog_state = self._cached_state(prior)
        if dialog_state is None and state.get("dialog") is not None:
            # Made by another process (or before a restart): continue from it rather than
            # folding the whole history again. None when the flows changed since.
            dialog_state = self._parts.runtime.load_state(state["dialog"], prior)
        # One copy, which the runtime extends: the caller's list is left as it was.
        events = list(prior)
        events.extend(events_for_messages(messages))
        return events, dialog_state

    def _cached_state(self, events: list[dict]) -> DialogState | None:
        """The state after the longest prefix of `events` this instance produced (the caller
        usually appends a few events of its own), or None: the runtime then folds the history
        from the start."""
        for end in range(len(events), max(len(events) - 16, 0), -1):
            key = _events_key(events, end)
            cached = self._state_cache.get(key) if key else None
            if cached is not None and cached.processed == end:
                return cached.snapshot()
        return None

    def _remember(self, key: HistoryKey, events: list[dict], state: DialogState) -> None:
        with self._history_lock:
            self._history[key] = (events, len(events), state)
            self._history.move_to_end(key)
            while len(self._history) > HISTORY_CACHE_SIZE:
                self._history.popitem(last=False)

    def _remember_state(self, events: list[dict], state: DialogState) -> None:
        key = _events_key(events)
        if key is None:
            return
        self._state_cache[key] = state
        while len(self._state_cache) > HISTORY_CACHE_SIZE:
            self._state_cache.popitem(last=False)

    def _structured_response(self, prompt, options: GenerationOptions, new_message: dict,
                             new_events: list[dict], all_events: list[dict],
                             dialog_state: DialogState, turn_log: TurnLog,
                             with_state: bool) -> "GenerationResponse":
        from rails.generation_log import build_generation_log
        from rails.options import GenerationLog, GenerationResponse

        response = GenerationResponse(
            response=new_message["content"] if prompt is not None else [new_message],
            tool_calls=new_message.get("tool_calls"))
        if options.output_vars:
            context = dict(dialog_state.action_context)
            context.pop("event", None)
            if isinstance(options.output_vars, list):
                context = {key: context.get(key) for key in options.output_vars}
            response.output_data = context
        wanted = options.log
        if wanted._usage and not (wanted.activated_rails or wanted.llm_calls
                                  or wanted.internal_events or wanted.colang_history):
            from rails.generation_log import build_usage_log

            response.log = build_usage_log(turn_log)
        elif wanted.activated_rails or wanted.llm_calls or wanted.internal_events \
                or wanted.colang_history or turn_log.errors:
            full = build_generation_log(turn_log)
            response.log = GenerationLog(stats=full.stats, errors=full.errors)
            if wanted.activated_rails:
                response.log.activated_rails = full.activated_rails
            if wanted.llm_calls:
                response.log.llm_calls = [call for rail in full.activated_rails
                                          for action in rail.executed_actions
                                          for call in action.llm_calls]
            if wanted.internal_events:
                response.log.internal_events = new_events
            audit = self._last_audit
            if wanted.activated_rails and audit is not None and (audit.decisions or audit.steps):
                response.log.action_decisions = [d.as_dict() for d in audit.decisions]
                response.log.tool_steps = list(audit.steps)
            if wanted.colang_history:
                from rails.llm.history import get_colang_history

                response.log.colang_history = get_colang_history(all_events)
        if with_state:
            # `dialog` lets another process (or this one after a restart) continue exactly
            # from here without folding the whole history again.
            response.state = {"events": all_events,
                              "dialog": self._parts.runtime.dump_state(dialog_state)}
        return response


def _events_key(events: list[dict], end: int | None = None) -> str | None:
    """Identifies the history `events[:end]` by its length and the uid of its last event
    (None: no uid), without copying it."""
    end = len(events) if end is None else end
    uid = events[end - 1].get("uid") if end > 0 else None
    return f"{end}:{uid}" if uid else None
