"""The JSON shapes exchanged with an actions server (spec §4.5, extended).

Request: `{"action_name": str, "action_parameters": {...}}`.
Success: `{"status": "success", "result": <any JSON value>}`. An `ActionResult` travels as
`{"__action_result__": true, "return_value": ..., "events": [...] | null,
"context_updates": {...}}` and is rebuilt on the client; any other value is the return value
itself (so the reference server's string results are understood as they are, and the reference
client receives our plain results unchanged).
Failure: `{"status": "failed", "error": {"type": str, "message": str}}` with an HTTP error
status (400, 401, 404, 413, 500, 504)."""
from __future__ import annotations

import json
from typing import Any

from rails.actions.decorator import ActionResult

RUN_PATH = "/v1/actions/run"
LIST_PATH = "/v1/actions/list"
HEALTH_PATH = "/health"
TOKEN_ENV = "DIALOG_RAILS_ACTIONS_TOKEN"
ACTION_RESULT_KEY = "__action_result__"


def encode_result(result: Any) -> Any:
    if isinstance(result, ActionResult):
        return {ACTION_RESULT_KEY: True, "return_value": result.return_value,
                "events": result.events, "context_updates": result.context_updates or {}}
    return result


def decode_result(value: Any) -> Any:
    if isinstance(value, dict) and value.get(ACTION_RESULT_KEY) is True:
        return ActionResult(return_value=value.get("return_value"), events=value.get("events"),
                            context_updates=dict(value.get("context_updates") or {}))
    return value


def unserializable_key(values: dict) -> str | None:
    """The first key whose value JSON cannot encode (for a precise error message)."""
    for key, value in values.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            return key
    return None
