"""One traced turn as a tree of spans, independent of where they are exported.

    guardrails.request            the turn (SERVER)
      guardrails.rail             each activated rail: input, dialog, generation, output
        guardrails.action         each action the rail executed
          <operation> <model>     each LLM call (CLIENT), with the GenAI semantic conventions

Attributes follow the OpenTelemetry GenAI semantic conventions for model calls
(`gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`,
`gen_ai.usage.input_tokens`, ...) and NeMo Guardrails' names for its own spans (`rail.type`,
`rail.name`, `rail.stop`, `rail.decisions`, `action.name`, ...). Prompts, completions and the
request's messages are added only with `tracing.enable_content_capture` (they may hold
personal data): as `gen_ai.content.prompt` / `gen_ai.content.completion` span events, and
`guardrails.request.input` / `.output` attributes, as NeMo's LLMRails does."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Optional

SERVER, INTERNAL, CLIENT = "server", "internal", "client"


@dataclass
class SpanData:
    name: str
    span_id: str
    parent_id: Optional[str]
    kind: str
    start_time: float              # seconds since the epoch
    end_time: float
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)  # {"name", "time", "attributes"}

    @property
    def duration(self) -> float:
        return max(self.end_time - self.start_time, 0.0)

    def to_dict(self) -> dict:
        return {"name": self.name, "span_id": self.span_id, "parent_id": self.parent_id,
                "kind": self.kind, "start_time": self.start_time, "end_time": self.end_time,
                "duration": self.duration, "attributes": self.attributes,
                "events": self.events}


@dataclass
class InteractionLog:
    """A traced turn: its id (the trace id), the spans, parents before children."""

    id: str
    activated_rails: list = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    trace: list[SpanData] = field(default_factory=list)


def new_id(nbytes: int = 8) -> str:
    return secrets.token_hex(nbytes)


def build_interaction_log(generation_log: Any, *, messages: list[dict], response: dict,
                          started: float, finished: float, capture: bool,
                          providers: dict[str, str], config_id: Optional[str] = None
                          ) -> InteractionLog:
    interaction = InteractionLog(id=new_id(16), activated_rails=generation_log.activated_rails)
    request = SpanData("guardrails.request", new_id(), None, SERVER, started, finished, {
        "gen_ai.operation.name": "guardrails",
        "rails.activated_rails_count": len(generation_log.activated_rails),
        "rails.llm_calls_count": generation_log.stats.llm_calls_count or 0,
    })
    if config_id:
        request.attributes["rails.config_id"] = config_id
    stats = generation_log.stats
    for name in ("input_rails_duration", "dialog_rails_duration", "generation_rails_duration",
                 "output_rails_duration"):
        value = getattr(stats, name)
        if value is not None:
            request.attributes[f"rails.{name}"] = value
    blocked = [rail.name for rail in generation_log.activated_rails if rail.stop]
    request.attributes["rails.blocked"] = bool(blocked)
    if capture:
        request.attributes["guardrails.request.input"] = _json(messages)
        request.attributes["guardrails.request.output"] = _json(response)
    interaction.trace.append(request)

    for rail in generation_log.activated_rails:
        rail_start = rail.started_at or started
        rail_span = SpanData("guardrails.rail", new_id(), request.span_id, INTERNAL,
                             rail_start, rail.finished_at or rail_start, {
                                 "rail.type": rail.type, "rail.name": rail.name,
                                 "rail.stop": bool(rail.stop),
                                 "rail.decisions": [str(d) for d in rail.decisions]})
        interaction.trace.append(rail_span)
        for action in rail.executed_actions:
            action_start = action.started_at or rail_start
            action_span = SpanData(
                "guardrails.action", new_id(), rail_span.span_id, INTERNAL, action_start,
                action.finished_at or action_start, {
                    "action.name": action.action_name,
                    "action.has_llm_calls": bool(action.llm_calls),
                    "action.llm_calls_count": len(action.llm_calls)})
            for key, value in (action.action_params or {}).items():
                # Text parameters may carry user content: only with content capture.
                if isinstance(value, (bool, int, float)) or (capture and isinstance(value, str)):
                    action_span.attributes[f"action.param.{key}"] = value
            if action.error:
                action_span.attributes["error.type"] = action.error.split(":", 1)[0]
            interaction.trace.append(action_span)
            for call in action.llm_calls:
                interaction.trace.append(_llm_span(call, action_span, capture, providers))
    return interaction


def _llm_span(call: Any, parent: SpanData, capture: bool, providers: dict[str, str]) -> SpanData:
    model = call.llm_model_name or "unknown"
    operation = "chat" if _is_chat(call) else "text_completion"
    start = call.started_at or parent.start_time
    end = call.finished_at or (start + (call.duration or 0))
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": providers.get(model) or providers.get("") or "unknown",
        "gen_ai.request.model": model,
        "gen_ai.response.model": model,
        "rails.llm.task": call.task or "unknown",
    }
    for name, value in (("gen_ai.usage.input_tokens", call.prompt_tokens),
                        ("gen_ai.usage.output_tokens", call.completion_tokens),
                        ("gen_ai.usage.total_tokens", call.total_tokens)):
        if value is not None:
            attributes[name] = value
    span = SpanData(f"{operation} {model}", new_id(), parent.span_id, CLIENT, start, end,
                    attributes)
    if capture:
        span.events.append({"name": "gen_ai.content.prompt", "time": start,
                            "attributes": {"gen_ai.prompt": call.prompt or ""}})
        span.events.append({"name": "gen_ai.content.completion", "time": end,
                            "attributes": {"gen_ai.completion": call.completion or ""}})
    return span


def _is_chat(call: Any) -> bool:
    raw = getattr(call, "raw_response", None)
    return isinstance(raw, dict) and raw.get("object") == "chat.completion"


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)
