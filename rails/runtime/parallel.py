"""Input or output rails run concurrently (`rails.input.parallel`, `rails.output.parallel`).

Each rail runs in a sub-run of its own: a copy of the conversation's state without its running
flows (so only the rail, and what it triggers, reacts to events), started by a `start_flow`
event, with its own LLM call log. The first rail to block wins and the others are cancelled;
its events then continue the turn exactly as in sequential mode (the refusal, the stop). A
rail that fails blocks too (fail closed: its internal-error events end the turn, or its
exception propagates as it would in sequential mode). The rails that passed contribute their
context updates (a rewritten `$user_message`, ...) in the configured order; their events are
kept in one `EventHistoryUpdate` event (as the reference does) and their log entries are
spliced in configured order, so `activated_rails` reads as in sequential mode."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rails.actions import ActionOutcome
from rails.events import new_event_dict
from rails.llm.call import LLMCallLog, current_call_log
from rails.runtime.state import DialogState
from rails.runtime.turn_log import TurnLog

# Action name -> (the event that opens one rail, the event that closes it, the context
# variable naming the rail being run).
PARALLEL_RAIL_ACTIONS = {
    "run_input_rails_in_parallel": ("StartInputRail", "InputRailFinished",
                                    "triggered_input_rail"),
    "run_output_rails_in_parallel": ("StartOutputRail", "OutputRailFinished",
                                     "triggered_output_rail"),
}


@dataclass
class _RailRun:
    flow: str
    events: list[dict]
    log: TurnLog
    calls: list
    blocked: bool


async def run_rails_in_parallel(runtime: Any, action_name: str, params: dict,
                                events: list[dict], state: DialogState,
                                turn_log: TurnLog) -> ActionOutcome:
    import asyncio  # not at start-up: most configs never run rails in parallel

    flows = params.get("flows")
    if isinstance(flows, str) and flows.startswith("$"):
        flows = state.action_context.get(flows[1:])
    flows = [str(flow) for flow in flows or []]
    markers = PARALLEL_RAIL_ACTIONS[action_name]
    tasks = [asyncio.ensure_future(_run_rail(runtime, flow, events, state, turn_log, markers))
             for flow in flows]
    runs: list[_RailRun | None] = [None] * len(tasks)
    blocker: _RailRun | None = None
    try:
        pending = set(tasks)
        while pending and blocker is None:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for index, task in enumerate(tasks):  # configured order among simultaneous ends
                if task in done:
                    runs[index] = task.result()  # a rail's exception propagates: fail closed
                    if blocker is None and runs[index].blocked:
                        blocker = runs[index]
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    parent_calls = current_call_log.get()
    context_updates: dict = {}
    history: list[dict] = []
    for run in runs:
        if run is None or run is blocker:
            continue  # cancelled: it never happened, as a rail after a block in sequence
        _adopt(turn_log, parent_calls, run)
        history.extend(run.events)
        for event in run.events:
            if event["type"] == "ContextUpdate":
                context_updates.update(event["data"])
    returned = [new_event_dict("EventHistoryUpdate", data={"events": history})]
    if blocker is not None:
        _adopt(turn_log, parent_calls, blocker)
        turn_log.adopted.update(id(event) for event in blocker.events)
        returned.extend(blocker.events)
    return ActionOutcome(status="success", return_value=None, events=returned,
                         context_updates=context_updates)


async def _run_rail(runtime: Any, flow: str, events: list[dict], state: DialogState,
                    parent_log: TurnLog, markers: tuple[str, str, str]) -> _RailRun:
    from rails.runtime.engine import _flow_call_params, _strip_flow_params

    start_type, end_type, rail_variable = markers
    calls = LLMCallLog()
    current_call_log.set(calls)  # this task's own context: its calls stay apart
    rail_state = _isolated(state)
    rail_state.context[rail_variable] = flow
    rail_state.action_context[rail_variable] = flow
    log = TurnLog(action_scope=parent_log.action_scope)
    opening = new_event_dict(start_type, flow_id=flow)
    log.event(opening)
    start = new_event_dict("start_flow", flow_id=_strip_flow_params(flow))
    if ("(" in flow and ")" in flow) or "$" in flow:
        start["params"] = _flow_call_params(flow)
    produced, _ = await runtime.run(list(events) + [start], rail_state, log)
    log.entries = [entry for entry in log.entries
                   if not (entry[0] == "event" and entry[2] is start)]
    produced = [event for event in produced if event["type"] != "Listen"]
    blocked = any(_is_block(event) for event in produced)
    if not blocked:
        closing = new_event_dict(end_type, flow_id=flow)
        log.event(closing)
        produced.append(closing)
    return _RailRun(flow, [opening] + produced, log, calls.calls, blocked)


def _is_block(event: dict) -> bool:
    event_type = event["type"]
    return ((event_type == "BotIntent" and event.get("intent") == "stop")
            or event_type.endswith("Exception") or event_type == "hide_prev_turn")


def _isolated(state: DialogState) -> DialogState:
    """The conversation's variables without its running flows; a failed turn inside the rail
    goes back to this start, not to the conversation's."""
    rail_state = state.snapshot()
    rail_state.flows, rail_state.flow_ids = [], set()
    rail_state.clear_next_step()
    rail_state.context_updates = {}
    rail_state.turn_start = rail_state.snapshot()
    return rail_state


def _adopt(turn_log: TurnLog, parent_calls: LLMCallLog | None, run: _RailRun) -> None:
    turn_log.splice(run.log)
    if parent_calls is not None:
        parent_calls.calls.extend(run.calls)
