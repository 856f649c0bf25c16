"""Folding one event into the dialog state (spec §3.4-§3.6).

The reference rebuilds the state by replaying the whole history for every step. Folding is a
pure function of (state, event), so carrying the state forward gives the same results at a
constant cost per event; `hide_prev_turn` is the one event that looks back, and it is served
from a snapshot taken when the turn began.
"""
from __future__ import annotations

from typing import Any

from rails.errors import FlowEvaluationError, RuntimeLimitError
from rails.events import new_uid
from rails.runtime.flow_config import FlowConfig, FlowIndex
from rails.runtime.matching import is_actionable, is_match
from rails.runtime.state import ABORTED, ACTIVE, COMPLETED, INTERRUPTED, DialogState, FlowState

MAX_SLIDE_STEPS = 10_000  # loop iterations within one slide
MAX_SUBFLOW_DEPTH = 50

# A flow that cannot go on (a failed `check`, a `stop` element): the reference crashes here.
BLOCKED = None


class FlowEngine:
    """Applies events to dialog states, for the flows of one FlowIndex."""

    def __init__(self, index: FlowIndex, rails_config: Any = None):
        self.index = index
        self.rails_config = rails_config

    # -- folding ---------------------------------------------------------------------------

    def fold(self, state: DialogState, event: dict) -> None:
        """Advance `state` past `event`, leaving the proposed next step in its slot."""
        event_type = event["type"]
        track_action_context(state.action_context, event)

        if event_type == "StartInternalSystemAction":
            return
        if event_type == "ContextUpdate":
            state.context.update(event["data"])
            state.context_updates = {}
            state.clear_next_step()
            return
        if event_type == "hide_prev_turn":
            if state.turn_start is None:
                raise _NeedsReplay()
            state.restore(state.turn_start)
            return
        if event_type == "UtteranceUserActionFinished":
            state.turn_start = state.snapshot()

        context = state.context
        if event_type == "UserMessage":
            context["last_user_message"] = event["text"]
        elif event_type == "StartUtteranceBotAction":
            context["last_bot_message"] = event["script"]
        context["event"] = event
        context["config"] = self.rails_config

        previous = state.flows
        state.flows, state.flow_ids = [], set()
        state.clear_next_step()
        state.context_updates = {}

        extension_completed = self._advance_running(state, previous, event)
        self._start_new(state, event)
        self._settle(state, extension_completed)

        if event_type == "BotIntent" and event["intent"] == "stop":
            state.flows, state.flow_ids = [], set()

    def _advance_running(self, state: DialogState, previous: list, event: dict) -> bool:
        configs = self.index.by_id
        event_type = event["type"]
        extension_completed = False
        for flow in previous:
            status = flow.status
            if status == COMPLETED or status == ABORTED:
                continue
            if status == INTERRUPTED:
                state.add_flow(flow)
                continue
            config = configs[flow.flow_id]
            if event_type not in config.trigger_event_types:
                state.add_flow(flow)
                self._offer(state, flow, config, 0.9)
                continue

            elements = config.elements
            head_element = elements[flow.head]
            new_head = None
            if head_element["_type"] == "branch":
                for offset in head_element["branch_heads"]:
                    if is_match(elements[flow.head + offset], event):
                        new_head = flow.head + offset + 1
            elif is_match(head_element, event):
                new_head = flow.head + 1

            if new_head is not None:
                flow.head = new_head
                self._slide_with_subflows(state, flow, config)
                if flow.status == ACTIVE and flow.head < 0:
                    flow.status = COMPLETED
                    extension_completed = extension_completed or config.is_extension
            elif is_actionable(head_element) or not config.is_interruptible:
                flow.status = ABORTED
            else:
                flow.status = INTERRUPTED
            state.add_flow(flow)
        return extension_completed

    def _start_new(self, state: DialogState, event: dict) -> None:
        if event["type"] == "start_flow" and not event.get("flow_body"):
            self._start_by_id(state, event)
        for config in self.index.candidates(event):
            if config.is_subflow:
                continue
            if not config.allow_multiple and config.id in state.flow_ids:
                continue
            start = self._slide(state, config, 0)
            if start is BLOCKED or start < 0:
                continue  # the reference indexes from the end here; a flow that ends cannot start
            if is_match(config.elements[start], event):
                flow = FlowState(new_uid(), config.id, start + 1)
                state.add_flow(flow)
                self._slide_with_subflows(state, flow, config)

    def _start_by_id(self, state: DialogState, event: dict) -> None:
        """`start_flow(flow_id=..., params=...)`: start that flow (a subflow too) from its first
        element, as the reference does; parallel rails run each rail this way."""
        name = str(event.get("flow_id") or "")
        config = self.index.by_id.get(name)
        if config is None:
            raise FlowEvaluationError(f"start_flow names unknown flow '{name}'"
                                      + _suggest(name, self.index.by_id))
        if event.get("params"):
            state.context_updates.update(event["params"])
        flow = FlowState(new_uid(), config.id, 0)
        state.add_flow(flow)
        self._slide_with_subflows(state, flow, config)
        if flow.status == ACTIVE and flow.head < 0:
            flow.status = COMPLETED

    def _settle(self, state: DialogState, extension_completed: bool) -> None:
        """Steps 7-10 of §3.4: re-activation, interruption bookkeeping and resumption."""
        configs = self.index.by_id
        if extension_completed:
            for flow in state.flows:
                if flow.status == ABORTED:
                    flow.status = ACTIVE
                    self._offer(state, flow, configs[flow.flow_id])

        decider_uid = state.next_step_by
        for flow in state.flows:
            if flow.status == INTERRUPTED and flow.interrupted_by is None:
                flow.interrupted_by = decider_uid

        decider = state.find(decider_uid) if decider_uid else None
        if decider is not None and configs[decider.flow_id].is_extension and decider.head > 1:
            for flow in state.flows:
                if flow.status == ABORTED and configs[flow.flow_id].is_interruptible:
                    flow.status = INTERRUPTED
                    flow.interrupted_by = decider_uid

        changed = True
        while changed:
            changed = False
            for flow in state.flows:
                if flow.status != INTERRUPTED:
                    continue
                resume = flow.interrupted_by is None
                abort = False
                if not resume:
                    interrupter = state.find(flow.interrupted_by)
                    if interrupter is not None:
                        resume = interrupter.status == COMPLETED
                        abort = interrupter.status == ABORTED
                if resume:
                    flow.status, flow.interrupted_by = ACTIVE, None
                    self._slide_with_subflows(state, flow, configs[flow.flow_id])
                    if flow.status == ACTIVE and flow.head < 0:
                        flow.status = COMPLETED
                    changed = True
                elif abort:
                    flow.status, flow.interrupted_by = ABORTED, None
                    changed = True

    # -- proposals -------------------------------------------------------------------------

    @staticmethod
    def _offer(state: DialogState, flow: FlowState, config: FlowConfig, factor: float = 1.0):
        """Propose the flow's head as the next step if it beats the current proposal."""
        element = config.elements[flow.head]
        if ((state.next_step is None or state.next_step_priority < config.priority)
                and is_actionable(element)):
            state.next_step = element
            state.next_step_by = flow.uid
            state.next_step_priority = config.priority * factor
            state.next_step_comment = (element.get("_source_mapping") or {}).get("comment")

    # -- sliding ---------------------------------------------------------------------------

    def _slide(self, state: DialogState, config: FlowConfig, head: int) -> int | None:
        """Move over non-waiting elements, executing them. Returns the new head, a negative
        number when the flow finished, or BLOCKED."""
        elements = config.elements
        count = len(elements)
        previous = head if head < count else head - 1
        for _ in range(MAX_SLIDE_STEPS):
            if head >= count or head < 0:
                return -(previous + 1)
            previous = head
            element = elements[head]
            kind = element["_type"]
            if kind == "if":
                head += 1 if self._evaluate(state, config, head) else int(element["_next_else"])
            elif kind == "jump":
                head = int(element["_next"]) if element.get("_absolute") else head + int(element["_next"])
            elif kind == "set":
                value = self._evaluate(state, config, head)
                if isinstance(value, tuple):
                    value = list(value)
                state.context[element["key"]] = value
                state.context_updates[element["key"]] = value
                head += int(element.get("_next", 1))
            elif kind == "while":
                if self._evaluate(state, config, head):
                    head += int(element.get("_next", 1))
                else:
                    head += int(element["_next_on_break"])
            elif kind == "continue":
                head += int(element.get("_next_on_continue", 1))
            elif kind == "break":
                head += int(element.get("_next_on_break", 1))
            elif kind == "check":
                if not self._evaluate(state, config, head):
                    return BLOCKED
                head += int(element.get("_next", 1))
            elif kind == "stop":
                return BLOCKED
            else:
                return head
        raise RuntimeLimitError(
            f"flow '{config.id}' ran {MAX_SLIDE_STEPS} steps without waiting for an event "
            f"(an endless `while` loop?){_where(config, head)}")

    def _slide_with_subflows(self, state: DialogState, flow: FlowState, config: FlowConfig,
                             depth: int = 0) -> None:
        while True:
            head = self._slide(state, config, flow.head)
            if head is BLOCKED:
                flow.status = ABORTED
                return
            flow.head = head
            if head < 0:
                return
            if config.elements[head]["_type"] != "flow":
                self._offer(state, flow, config)
                return
            if not self._call_subflow(state, flow, config, depth):
                return  # the parent now waits for the child

    def _call_subflow(self, state: DialogState, parent: FlowState, config: FlowConfig,
                      depth: int) -> bool:
        """Start the subflow at the parent's head. True when it finished at once (the parent
        keeps sliding), False when the parent is now interrupted by it."""
        if depth >= MAX_SUBFLOW_DEPTH:
            raise RuntimeLimitError(
                f"subflows nested deeper than {MAX_SUBFLOW_DEPTH} levels (a subflow calling "
                f"itself?) in flow '{config.id}'{_where(config, parent.head)}")
        element = config.elements[parent.head]
        name = element["flow_name"]
        if name.startswith("$"):
            name = self._evaluate_text(state, config, parent.head, name)
        name = str(name)
        if ("(" in name and ")" in name) or "$" in name:
            state.context_updates.update(_flow_call_params(name))
            name = _strip_flow_params(name)
        child_config = self.index.by_id.get(name)
        if child_config is None:
            raise FlowEvaluationError(
                f"flow '{config.id}' calls unknown subflow '{name}'{_where(config, parent.head)}"
                + _suggest(name, self.index.by_id))

        parent.head += 1
        child = FlowState(new_uid(), name, 0)
        self._slide_with_subflows(state, child, child_config, depth + 1)
        if child.head < 0 and child.status == ACTIVE:
            return True
        if child.status == ABORTED:
            parent.status = ABORTED
            return False
        parent.status = INTERRUPTED
        parent.interrupted_by = child.uid
        state.add_flow(child)
        self._offer(state, child, child_config)
        return False

    # -- expressions -----------------------------------------------------------------------

    def _evaluate(self, state: DialogState, config: FlowConfig, index: int) -> Any:
        try:
            return config.expressions[index].evaluate(state.context)
        except Exception as error:
            element = config.elements[index]
            raise FlowEvaluationError(
                f"cannot evaluate `{element.get('expression')}` in flow '{config.id}'"
                f"{_where(config, index)}: {error}") from error

    def _evaluate_text(self, state: DialogState, config: FlowConfig, index: int, text: str):
        from rails.lang import compile_expression

        try:
            return compile_expression(text).evaluate(state.context)
        except Exception as error:
            raise FlowEvaluationError(
                f"cannot evaluate subflow name `{text}` in flow '{config.id}'"
                f"{_where(config, index)}: {error}") from error


class _NeedsReplay(Exception):
    """A `hide_prev_turn` arrived without a snapshot of the turn's start: replay instead."""


def track_action_context(context: dict, event: dict) -> None:
    """The variables actions see (`compute_context` of the reference), kept up to date."""
    event_type = event["type"]
    if event_type == "ContextUpdate":
        context.update(event["data"])
    elif event_type == "UserMessage":
        context["last_user_message"] = event["text"]
    elif event_type == "StartUtteranceBotAction":
        context["last_bot_message"] = event["script"]
    context["event"] = event


def _flow_call_params(name: str) -> dict:
    """`name(a=1, b="x")` or `name $a=1` -> {"a": "1", "b": "x"} (values stay strings)."""
    name = name.strip()
    if "(" in name and ")" in name:
        arguments = name.split("(", 1)[1].split(")", 1)[0]
    else:
        arguments = name.split("$")[1]
    params: dict[str, Any] = {}
    for argument in arguments.split(","):
        argument = argument.strip()
        if "=" in argument:
            key, value = argument.split("=", 1)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            params[key] = value
        elif argument:
            params[argument] = None
    return params


def _strip_flow_params(name: str) -> str:
    name = name.strip()
    if "(" in name:
        return name.split("(", 1)[0].strip()
    return name.split("$", 1)[0].strip()


def _where(config: FlowConfig, index: int) -> str:
    if 0 <= index < len(config.elements):
        mapping = config.elements[index].get("_source_mapping") or {}
        if mapping.get("line_number"):
            return f" ({mapping.get('filename') or config.file or '?'}:{mapping['line_number']})"
    return ""


def _suggest(name: str, known: dict) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=3)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
