"""Turns a runtime TurnLog into the GenerationLog of a response: which rails ran, what they
decided, which actions and LLM calls they made, and how long each part took."""
from __future__ import annotations

import traceback
from typing import Any

from rails.options import (ActivatedRail, ErrorInfo, ExecutedAction, GenerationLog,
                           LLMCallInfo)
from rails.runtime import ActionRecord, TurnLog

# Core flows that only route events; they are not rails of their own.
PLUMBING_FLOWS = frozenset({"process user input", "run input rails", "run dialog rails",
                            "process bot message", "run output rails", "run retrieval rails"})
GENERATION_FLOWS = frozenset({"generate bot message"})
# Plumbing actions: the parallel runners' rails appear as rails of their own in the log.
IGNORED_ACTIONS = frozenset({"create_event", "run_input_rails_in_parallel",
                             "run_output_rails_in_parallel"})


def to_llm_call_info(call: Any) -> LLMCallInfo:
    if isinstance(call, LLMCallInfo):
        return call
    fields = LLMCallInfo.model_fields
    data = call if isinstance(call, dict) else {name: getattr(call, name, None) for name in fields}
    return LLMCallInfo(**{k: v for k, v in data.items() if k in fields})


def error_info(error: BaseException) -> ErrorInfo:
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return ErrorInfo(type=type(error).__name__, message=str(error), traceback=trace)


def build_generation_log(turn_log: TurnLog) -> GenerationLog:
    result = GenerationLog()
    stats = result.stats
    current: ActivatedRail | None = None
    marks: dict[str, float] = {}
    last_time = None

    def close(rail: ActivatedRail | None, at: float) -> None:
        if rail is not None and rail.finished_at is None:
            rail.finished_at = at
            rail.duration = at - (rail.started_at or at)

    for entry in turn_log.entries:
        kind, at = entry[0], entry[1]
        last_time = at
        if kind == "step":
            flow_id, events = entry[2], entry[3]
            if flow_id in PLUMBING_FLOWS:
                continue
            if current is None or (current.type in ("dialog", "generation")
                                   and current.name != flow_id):
                close(current, at)
                current = ActivatedRail(
                    type="generation" if flow_id in GENERATION_FLOWS else "dialog",
                    name=flow_id, started_at=at)
                result.activated_rails.append(current)
            for event in events:
                if event["type"] == "StartInternalSystemAction":
                    if event["action_name"] not in IGNORED_ACTIONS:
                        current.decisions.append(f"execute {event['action_name']}")
                elif event["type"] == "BotIntent":
                    current.decisions.append(event["intent"])
        elif kind == "event":
            event_type = entry[2]["type"]
            if event_type in ("StartInputRail", "StartOutputRail"):
                close(current, at)
                current = ActivatedRail(type="input" if "Input" in event_type else "output",
                                        name=entry[2].get("flow_id", ""), started_at=at)
                result.activated_rails.append(current)
            elif event_type in ("InputRailFinished", "OutputRailFinished"):
                close(current, at)
                current = None
            elif event_type in ("StartInputRails", "InputRailsFinished", "StartOutputRails",
                                "OutputRailsFinished"):
                marks[event_type] = at
        elif kind == "action":
            record: ActionRecord = entry[2]
            if record.action_name in IGNORED_ACTIONS:
                continue
            if current is None:
                current = ActivatedRail(type="dialog", name=record.action_name, started_at=at)
                result.activated_rails.append(current)
            current.executed_actions.append(ExecutedAction(
                action_name=record.action_name, action_params=dict(record.action_params),
                return_value=record.return_value, started_at=record.started_at,
                finished_at=record.finished_at, duration=record.duration,
                llm_calls=[to_llm_call_info(call) for call in record.llm_calls],
                error=(f"{type(record.error).__name__}: {record.error}"
                       if record.error is not None else None)))

    if current is not None and last_time is not None:
        close(current, last_time)
        if current.type in ("input", "output"):
            current.stop = True
            current.decisions.append("stop")

    if "StartInputRails" in marks:
        stats.input_rails_duration = marks.get("InputRailsFinished", last_time) - marks["StartInputRails"]
    if "StartOutputRails" in marks:
        stats.output_rails_duration = (marks.get("OutputRailsFinished", last_time)
                                       - marks["StartOutputRails"])
    for rail in result.activated_rails:
        if rail.name == "generate user intent" and _is_general_generation(rail):
            rail.type = "generation"
        if rail.duration:
            if rail.type == "dialog":
                stats.dialog_rails_duration = (stats.dialog_rails_duration or 0) + rail.duration
            elif rail.type == "generation":
                stats.generation_rails_duration = ((stats.generation_rails_duration or 0)
                                                   + rail.duration)
        for action in rail.executed_actions:
            for call in action.llm_calls:
                stats.llm_calls_count += 1
                stats.llm_calls_duration += call.duration or 0
                stats.llm_calls_total_prompt_tokens += call.prompt_tokens or 0
                stats.llm_calls_total_completion_tokens += call.completion_tokens or 0
                stats.llm_calls_total_tokens += call.total_tokens or 0
    if turn_log.entries:
        stats.total_duration = turn_log.entries[-1][1] - turn_log.entries[0][1]
    result.errors = [error_info(error) for error in turn_log.errors if error is not None]
    return result


def build_usage_log(turn_log: TurnLog) -> GenerationLog:
    """The stats a caller that reads only token usage needs (the model calls' counts, tokens
    and time, the turn's duration) and the errors, without the rails and actions of the whole
    log, which cost a server turn about a tenth of its time."""
    result = GenerationLog()
    stats = result.stats
    for entry in turn_log.entries:
        if entry[0] != "action" or entry[2].action_name in IGNORED_ACTIONS:
            continue
        for call in entry[2].llm_calls:
            stats.llm_calls_count += 1
            stats.llm_calls_duration += _call_field(call, "duration") or 0
            stats.llm_calls_total_prompt_tokens += _call_field(call, "prompt_tokens") or 0
            stats.llm_calls_total_completion_tokens += \
                _call_field(call, "completion_tokens") or 0
            stats.llm_calls_total_tokens += _call_field(call, "total_tokens") or 0
    if turn_log.entries:
        stats.total_duration = turn_log.entries[-1][1] - turn_log.entries[0][1]
    result.errors = [error_info(error) for error in turn_log.errors if error is not None]
    return result


def _call_field(call: Any, name: str) -> Any:
    return call.get(name) if isinstance(call, dict) else getattr(call, name, None)


def _is_general_generation(rail: ActivatedRail) -> bool:
    actions = rail.executed_actions
    return (len(actions) == 1 and len(actions[0].llm_calls) == 1
            and actions[0].llm_calls[0].task == "general")
