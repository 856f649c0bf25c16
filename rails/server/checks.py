"""`POST /v1/checks`: run a config's input and/or output rails on messages (`LLMRails.check`).

Request (NeMo Guardrails' shape): `{"model", "messages", "guardrails": {"config_id" |
"config_ids", "rail_types": ["input", "output"], "context": {...}}}`; `config_id(s)` and
`context` are also accepted at the top level, as on `/v1/chat/completions`. Answer:
`{"status": "passed" | "modified" | "blocked", "content", "rail"}` (`rail` only when blocked).
A request that cannot be checked (no messages, an unknown rail type, a type the config has no
rails of) is a 422 naming the cause, as NeMo's server answers."""
from __future__ import annotations

import logging
from typing import Any

from rails.server.api_errors import ApiError
from rails.server.configs import ConfigRegistry

log = logging.getLogger("rails.server")

RAIL_TYPES = ("input", "output")


def _unprocessable(message: str, param: str, code: str = "invalid_value") -> ApiError:
    return ApiError(422, message, param=param, code=code)


def parse_check_request(body: Any) -> tuple[list[dict], list[str] | None, list[str] | None,
                                             str | None]:
    """(messages, config_ids, rail_types, model) of a checks request, or an ApiError."""
    from rails.server.wire import _config_ids, _messages, _optional_str

    if not isinstance(body, dict):
        raise _unprocessable("the request body must be a JSON object", "body", "invalid_body")
    guardrails = body.get("guardrails")
    if guardrails is None:
        guardrails = {}
    if not isinstance(guardrails, dict):
        raise _unprocessable("`guardrails` must be an object", "guardrails")
    try:
        messages = _messages(body.get("messages"))
        config_ids = _config_ids(guardrails) or _config_ids(body)
    except ApiError as error:  # the chat route's wording, with the status NeMo's checks use
        raise _unprocessable(error.message, error.param or "messages", error.code) from error
    context = guardrails.get("context", body.get("context"))
    if context is not None:
        if not isinstance(context, dict):
            raise _unprocessable("`guardrails.context` must be an object", "guardrails.context")
        messages.insert(0, {"role": "context", "content": context})
    rail_types = guardrails.get("rail_types", body.get("rail_types"))
    if rail_types is not None:
        if not isinstance(rail_types, list) or not rail_types or not all(
                item in RAIL_TYPES for item in rail_types):
            raise _unprocessable(
                f"`guardrails.rail_types` must be a non-empty array of {' and '.join(RAIL_TYPES)}"
                f" (got {rail_types!r})", "guardrails.rail_types")
    return messages, config_ids, rail_types, _optional_str(body, "model")


class Checks:
    def __init__(self, registry: ConfigRegistry):
        self.registry = registry

    async def check(self, body: Any) -> dict:
        from rails.errors import RailTypeNotConfiguredError
        from rails.options import RailType
        from rails.server.completions import _engine_errors

        messages, config_ids, rail_types, model = parse_check_request(body)
        if not config_ids and model is not None and model not in self.registry.available():
            # NeMo's `model` here names the LLM, not a config: then the default config serves.
            model = None
        try:
            ids = self.registry.resolve(config_ids, model)
        except ApiError as error:
            if error.code == "config_required":
                raise _unprocessable(error.message + " (in `guardrails.config_id`)",
                                     "guardrails.config_id", error.code) from error
            raise
        rails = await self.registry.get(ids)
        types = [RailType(item) for item in rail_types] if rail_types is not None else None
        try:
            with _engine_errors():
                result = await rails.check_async(messages=messages, rail_types=types)
        except ApiError as error:
            cause = error.__cause__
            if isinstance(cause, RailTypeNotConfiguredError) or (
                    isinstance(cause, ValueError) and error.status == 400):
                raise _unprocessable(str(cause), "guardrails.rail_types"
                                     if isinstance(cause, RailTypeNotConfiguredError)
                                     else "messages", type(cause).__name__) from cause
            raise
        answer = {"status": result.status.value, "content": result.content}
        if result.rail is not None:
            answer["rail"] = result.rail
        return answer
