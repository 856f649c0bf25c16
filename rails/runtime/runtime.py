"""The Colang 1.0 processing loop (spec §3.2): events in, new events out."""
from __future__ import annotations

import logging
import textwrap
import time
from typing import Any, Iterable

from rails.actions import ActionOutcome
from rails.errors import (ActionNotFoundError, DeadlineExceededError, FlowEvaluationError,
                          RuntimeLimitError)
from rails.events import new_event_dict
from rails.lang.value_limits import value_limit
from rails.library.core_actions import build_event, create_event
from rails.llm.call import call_timeout, current_call_log
from rails.policy import PermissionDenied
from rails.policy.rules import denial_message
from rails.runtime.engine import FlowEngine, _NeedsReplay, track_action_context
from rails.runtime.flow_config import FlowIndex, build_flow_config
from rails.runtime.parallel import PARALLEL_RAIL_ACTIONS, run_rails_in_parallel
from rails.runtime.state import DialogState
from rails.runtime.state_codec import dump_state, flows_digest, load_state
from rails.runtime.turn_log import ActionRecord, TurnLog

log = logging.getLogger("rails.runtime")

MAX_EVENTS_PER_TURN = 300
INTERNAL_ERROR_INTENT = "inform internal error occurred"
DEFAULT_FALLBACK = "I'm sorry, an internal error has occurred."


class Runtime:
    """Runs flows over event histories. One instance serves any number of conversations: all
    per-conversation data lives in the DialogState passed in and out."""

    def __init__(self, rails_config: Any, dispatcher: Any, flows: Iterable[dict], *,
                 subflow_ids: Iterable[str] = (),
                 injected: dict | None = None, remote: Any = None,
                 fallback_message: str = DEFAULT_FALLBACK, propagate_errors: bool = False,
                 max_events_per_turn: int = MAX_EVENTS_PER_TURN):
        self.config = rails_config
        self.dispatcher = dispatcher
        self.injected = injected if injected is not None else {}
        self.remote = remote
        self.fallback_message = fallback_message
        self.propagate_errors = propagate_errors
        self.max_events_per_turn = max_events_per_turn
        # Called instead of `dispatcher.execute(...)` (same keywords, plus the start event
        # first) when set; LLMRails sets it to run actions in an interaction scope.
        self.action_runner: Any = None
        self.index = FlowIndex()
        forced_subflows = set(subflow_ids)
        for flow in flows:
            config = build_flow_config(flow, len(self.index.by_id))
            if config.id in forced_subflows:
                config.is_subflow = True
            self.index.add(config)
        self.engine = FlowEngine(self.index, rails_config)

    # -- public ----------------------------------------------------------------------------

    async def generate_events(self, events: list[dict], state: DialogState | None = None,
                              turn_log: TurnLog | None = None) -> tuple[list[dict], DialogState]:
        """Process `events` (the whole history) until the bot listens again.

        `state` must be the state returned for a prefix of `events` (or None: the history is
        then folded from the start). Returns the new events and the updated state; `events`
        itself is left as it was."""
        return await self.run(list(events), state, turn_log)

    async def run(self, events: list[dict], state: DialogState | None = None,
                  turn_log: TurnLog | None = None) -> tuple[list[dict], DialogState]:
        """`generate_events`, extending `events` in place (saves a copy of the history)."""
        state = state if state is not None else DialogState()
        turn_log = turn_log if turn_log is not None else TurnLog()
        limits = getattr(self.config, "limits", None)
        size_token = value_limit.set(limits.value_size) if limits is not None else None
        timeouts = getattr(self.config, "timeouts", None)
        try:
            if timeouts is None:
                return await self._run(events, state, turn_log, None)
            # Model calls of this turn are bounded by `timeouts.llm` (llm_call reads it),
            # actions by their own limits and what is left of `timeouts.turn`.
            token = call_timeout.set(timeouts.llm)
            try:
                deadline = None
                if timeouts.turn is not None:
                    import asyncio

                    deadline = asyncio.get_running_loop().time() + timeouts.turn
                return await self._run(events, state, turn_log, deadline)
            finally:
                call_timeout.reset(token)
        finally:
            if size_token is not None:
                value_limit.reset(size_token)

    async def _run(self, events: list[dict], state: DialogState, turn_log: TurnLog,
                   deadline: float | None) -> tuple[list[dict], DialogState]:
        if events:
            turn_log.event(events[-1])
        new_events: list[dict] = []
        # The loop's clock, looked up once per turn rather than once per step.
        clock = _loop_clock() if deadline is not None else None
        while True:
            try:
                if deadline is not None and clock() > deadline:
                    self._deadline_passed()
                produced = await self._step(events, state, turn_log, deadline)
                if (produced[-1]["type"] != "Listen"
                        and len(new_events) + len(produced) > self.max_events_per_turn):
                    raise RuntimeLimitError(
                        f"a single turn produced more than {self.max_events_per_turn} events; "
                        f"the flows probably loop (last events: "
                        f"{', '.join(e['type'] for e in (new_events + produced)[-6:])})")
                events.extend(produced)
                new_events.extend(produced)
                for event in produced:
                    turn_log.event(event)
                    if event["type"] == "hide_prev_turn":
                        deadline = None  # the turn already ends through the error path
                if produced[-1]["type"] == "Listen":
                    self._catch_up(state, events)
                    return new_events, state
            except (FlowEvaluationError, RuntimeLimitError, DeadlineExceededError) as error:
                if self.propagate_errors:
                    raise
                self._recover(error, events, new_events, state, turn_log)
                return new_events, state

    def _recover(self, error: Exception, events: list[dict], new_events: list[dict],
                 state: DialogState, turn_log: TurnLog) -> None:
        """End a failed turn with the fallback message. The failed turn is cut out of the
        history, as the reference does, and nothing more runs in it: a history that lacks what
        the flows need (variables set in turns this process never saw) fails the same way
        again, and must still end with an answer."""
        log.error("turn failed: %s", error)
        turn_log.errors.append(error)
        produced = self.internal_error_events(self.fallback_message)
        produced.append(new_event_dict("Listen"))
        events.extend(produced)
        new_events.extend(produced)
        for event in produced:
            turn_log.event(event)
        try:
            state.become(self.replay(events))
        except (FlowEvaluationError, RuntimeLimitError) as again:
            # Even the history without this turn cannot be folded: keep the turn's start.
            log.error("cannot rebuild the state without the failed turn: %s", again)
            turn_log.errors.append(again)
            state.become(state.turn_start.snapshot() if state.turn_start is not None
                         else DialogState())
            action_context = DialogState().action_context
            for event in events:
                track_action_context(action_context, event)
            state.action_context, state.processed = action_context, len(events)

    def _deadline_passed(self) -> None:
        limit = self.config.timeouts.turn
        raise DeadlineExceededError(
            f"the turn did not finish within {limit:g} s (timeouts.turn)", what="turn",
            limit=limit, setting="timeouts.turn")

    async def _step(self, events: list[dict], state: DialogState, turn_log: TurnLog,
                    deadline: float | None = None) -> list:
        """What follows the last event: an action's outcome, or the flows' next step."""
        last = events[-1]
        if last["type"] == "StartInternalSystemAction":
            self._catch_up(state, events)
            return await self._run_action(events, state, turn_log, deadline)
        if last["type"] == "start_flow" and last.get("flow_body"):
            self._register_generated_flow(last)
        self._catch_up(state, events)
        return self._next_steps(state, events, turn_log) or [new_event_dict("Listen")]

    # -- folding ---------------------------------------------------------------------------

    def _catch_up(self, state: DialogState, events: list[dict]) -> None:
        """Fold the events the state has not seen yet."""
        fold = self.engine.fold
        while state.processed < len(events):
            event = events[state.processed]
            try:
                fold(state, event)
            except _NeedsReplay:
                state.become(self.replay(events[: state.processed + 1]))
                continue
            state.processed += 1

    # -- state across processes ------------------------------------------------------------

    @property
    def state_digest(self) -> str:
        """Identifies this runtime's flows in dumped states (computed once)."""
        digest = self.__dict__.get("_state_digest")
        if digest is None:
            digest = self._state_digest = flows_digest(self.index)
        return digest

    def dump_state(self, state: DialogState) -> dict:
        """`state` as compact plain data (see rails.runtime.state_codec)."""
        return dump_state(state, self.index, self.state_digest)

    def load_state(self, data: Any, events: list[dict]) -> DialogState | None:
        """The state `data` (from `dump_state`) stands for after `events`, or None when it was
        made with other flows or for another history length: the caller then folds `events`
        from the start. Raises StateError for data that is no dialog state."""
        state = load_state(data, self.index, self.state_digest, rails_config=self.config,
                           last_event=events[-1] if events else None)
        if state is None or state.processed != len(events):
            return None
        return state

    def replay(self, events: list[dict]) -> DialogState:
        """The state after `events`, rebuilt from nothing the way the reference does on every
        step: hidden turns are cut out of the history first (the action context keeps them)."""
        visible: list[dict] = []
        for event in events:
            if event["type"] == "hide_prev_turn":
                cut = max((i for i, e in enumerate(visible)
                           if e["type"] == "UtteranceUserActionFinished"), default=0)
                del visible[cut:]
            else:
                visible.append(event)
        state = DialogState()
        for event in visible:
            self.engine.fold(state, event)
        action_context = DialogState().action_context
        for event in events:
            track_action_context(action_context, event)
        state.action_context = action_context
        state.processed = len(events)
        state.turn_start = None
        return state

    # -- next steps ------------------------------------------------------------------------

    def _next_steps(self, state: DialogState, events: list[dict], turn_log: TurnLog) -> list:
        produced: list[dict] = []
        if state.context_updates:
            produced.append(new_event_dict("ContextUpdate", data=dict(state.context_updates)))
        step = state.next_step
        if step is not None:
            produced.append(self._step_event(step, state.next_step_comment))
        last = events[-1]
        if last["type"] == "BotIntent" and last.get("intent") == "stop":
            return []
        if produced and state.next_step_by:
            owner = state.find(state.next_step_by)
            if owner is not None:
                turn_log.step(owner.flow_id, produced)
        return produced

    def _step_event(self, step: dict, comment: str | None) -> dict:
        if step["action_name"] == "utter":
            event = new_event_dict("BotIntent", intent=step["action_params"]["value"])
            if comment:
                event["instructions"] = comment
            return event
        name = step["action_name"]
        return new_event_dict(
            "StartInternalSystemAction", action_name=name,
            action_params=dict(step.get("action_params") or {}),
            action_result_key=step.get("action_result_key"),
            is_system_action=(name in PARALLEL_RAIL_ACTIONS
                              or self.dispatcher.is_system_action(name)))

    # -- actions ---------------------------------------------------------------------------

    async def _run_action(self, events: list[dict], state: DialogState,
                          turn_log: TurnLog, deadline: float | None = None) -> list[dict]:
        start = events[-1]
        name = start["action_name"]
        params = start.get("action_params") or {}
        result_key = start.get("action_result_key")
        record = ActionRecord(name, params, time.time())
        turn_log.action(record)
        call_log = current_call_log.get()
        calls_before = len(call_log.calls) if call_log is not None else 0
        if name == "create_event" and self._builtin_create_event():
            execution = _created(params, state.action_context)
        elif name in PARALLEL_RAIL_ACTIONS and not self.dispatcher.has(name):
            execution = run_rails_in_parallel(self, name, params, events, state, turn_log)
        elif self.action_runner is not None:  # interactive actions (rails.interaction)
            execution = self.action_runner(
                start, name, params, context=dict(state.action_context), events=events,
                injected={**self.injected, "state": state}, remote=self.remote,
                caller="flow", deadline=deadline)
        else:
            execution = self.dispatcher.execute(
                name, params, context=dict(state.action_context), events=events,
                injected={**self.injected, "state": state}, remote=self.remote,
                caller="flow", deadline=deadline)
        try:
            if turn_log.action_scope is None:
                outcome = await execution
            else:
                with turn_log.action_scope(name):
                    outcome = await execution
        finally:
            record.finished_at = time.time()
            if call_log is not None and len(call_log.calls) > calls_before:
                record.llm_calls = call_log.calls[calls_before:]

        status = outcome.status
        record.status, record.return_value = status, outcome.return_value
        return_value, returned_events = outcome.return_value, list(outcome.events or [])
        context_updates = dict(outcome.context_updates or {})
        if status != "success":
            error = outcome.error
            record.error = error
            turn_log.errors.append(error)
            log.error("action '%s' failed: %r", name, error, exc_info=error)
            if self.propagate_errors and error is not None:
                raise error
            if isinstance(error, ActionNotFoundError):
                message = f"Action '{name}' not found."
            elif isinstance(error, PermissionDenied):
                message = denial_message(error)
            else:
                message = self.fallback_message
            return_value, context_updates = None, {}
            returned_events = self.internal_error_events(message)
        if result_key:
            context_updates[result_key] = return_value

        produced: list[dict] = []
        if context_updates and _changes(state.action_context, context_updates):
            produced.append(new_event_dict("ContextUpdate", data=context_updates))
        is_system = start.get("is_system_action")
        if is_system is None:  # events made by a caller may lack it
            is_system = self.dispatcher.is_system_action(name)
        finished = {
            "action_uid": start.get("action_uid"), "action_name": name,
            "action_params": params, "action_result_key": result_key, "status": status,
            "is_success": status == "success", "return_value": return_value,
            "events": returned_events, "is_system_action": is_system,
        }
        if status != "success":
            finished["failure_reason"] = status
        produced.append(new_event_dict("InternalSystemActionFinished", **finished))
        produced.extend(returned_events)
        return produced

    def _builtin_create_event(self) -> bool:
        """True unless the user registered an action of their own under `create_event`."""
        return self.dispatcher.get("create_event") is create_event

    def internal_error_events(self, message: str) -> list[dict]:
        """What the user sees when a turn fails: the message, then the turn is hidden."""
        return [new_event_dict("BotIntent", intent=INTERNAL_ERROR_INTENT),
                new_event_dict("StartUtteranceBotAction", script=message),
                new_event_dict("hide_prev_turn")]

    # -- multi-step generation -------------------------------------------------------------

    def _register_generated_flow(self, event: dict) -> None:
        """Multi-step generation: the LLM wrote a flow body; it joins the flows of this runtime
        (like the reference, generated flows are shared by all conversations)."""
        from rails.lang import parse

        flow_id = event["flow_id"]
        if flow_id in self.index.by_id:
            return
        body = f"define flow {flow_id}\n" + textwrap.indent(event["flow_body"], "  ")
        flows = parse(body, "generated.co").flows
        if len(flows) != 1:
            raise ValueError(f"generated flow '{flow_id}' did not parse to one flow")
        flow = dict(flows[0])
        flow["elements"] = [{"_type": "start_flow", "flow_id": flow_id}] + list(flow["elements"])
        self.index.add(build_flow_config(flow, len(self.index.by_id)))


def _loop_clock() -> Any:
    import asyncio

    return asyncio.get_running_loop().time


async def _created(params: dict, context: dict) -> ActionOutcome:
    """The outcome of the built-in `create_event`, without the dispatcher's generic machinery."""
    try:
        event = build_event(params["event"], context)
    except Exception as error:  # a malformed event spec fails like any action
        return ActionOutcome(status="failed", error=error)
    return ActionOutcome(status="success", return_value=None, events=[event],
                         context_updates={})


def _changes(context: dict, updates: dict) -> bool:
    for key, value in updates.items():
        try:
            if context.get(key) != value:
                return True
        except Exception:  # values whose comparison raises count as changed
            return True
    return False
