"""The chat-completions request as the server accepts it, and the response shapes it sends.

A request is OpenAI's (`model`, `messages`, `stream`, sampling parameters) plus NeMo Guardrails'
server fields (`config_id`, `config_ids`, `thread_id`, `context`, `options`, `state`). Every
rejection names the offending field."""
from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from rails.server.api_errors import bad_request

THREAD_ID_MIN, THREAD_ID_MAX = 16, 255
_THREAD_ID_CHARACTERS = re.compile(r"[\x21-\x7e]+")
# OpenAI sampling parameters forwarded to the model as `options.llm_params`.
LLM_PARAM_FIELDS = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "stop",
                    "presence_penalty", "frequency_penalty", "seed")
_ROLE_ALIASES = {"developer": "system"}
_UNSUPPORTED_ROLES = ("function",)


@dataclass
class ChatRequest:
    messages: list[dict]
    config_ids: Optional[list[str]] = None  # None: the server's default config
    model: Optional[str] = None
    stream: bool = False
    thread_id: Optional[str] = None
    options: Any = None                    # rails.options.GenerationOptions or None
    log_requested: bool = False            # the client asked for some part of the rails log
    state: Optional[dict] = None
    extra_llm_params: dict = field(default_factory=dict)
    user: Optional[dict] = None            # OpenAI's `user` -> `__user__` of Action Functions
    uses_tools: Optional[str] = None       # the first field using tool calling (passthrough)


def parse_chat_request(body: Any) -> ChatRequest:
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object", code="invalid_body")
    messages = _messages(body.get("messages"))
    context = body.get("context")
    if context is not None:
        if not isinstance(context, dict):
            raise bad_request("`context` must be an object", param="context")
        messages.insert(0, {"role": "context", "content": context})

    request = ChatRequest(messages=messages, config_ids=_config_ids(body),
                          model=_optional_str(body, "model"), stream=_stream(body),
                          thread_id=_thread_id(body.get("thread_id")))
    user = body.get("user")
    if user is not None:
        if not isinstance(user, str):
            raise bad_request("`user` must be a string (an id of the end user)", param="user")
        request.user = {"id": user}
    n = body.get("n")
    if n not in (None, 1):
        raise bad_request("only `n: 1` is supported: rails produce one answer per turn",
                          param="n")
    request.extra_llm_params = {name: body[name] for name in LLM_PARAM_FIELDS
                                if body.get(name) is not None}
    from rails.server.tool_wire import check_sequence, first_tool_use, tool_fields

    tools = tool_fields(body)
    request.extra_llm_params.update(tools)
    request.uses_tools = first_tool_use(tools, messages)
    if request.uses_tools is not None and request.thread_id is None:
        check_sequence(messages)
    request.options, request.log_requested = _options(body.get("options"),
                                                      request.extra_llm_params)
    state = body.get("state")
    if state is not None:
        if not isinstance(state, dict):
            raise bad_request("`state` must be an object as returned in a previous response",
                              param="state")
        if request.thread_id is not None:
            raise bad_request("use either `thread_id` (history kept by the server) or `state` "
                              "(history kept by the client), not both", param="state")
        if request.stream:
            raise bad_request("`state` cannot be combined with `stream: true`", param="state")
        _check_state_events(state.get("events"))
        request.state = state
    return request


def _messages(raw: Any) -> list[dict]:
    if raw is None:
        raise bad_request("`messages` is required", param="messages", code="missing_field")
    if not isinstance(raw, list) or not raw:
        raise bad_request("`messages` must be a non-empty array of {role, content} objects",
                          param="messages")
    normalized = []
    for index, message in enumerate(raw):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise bad_request(f"{where} must be an object", param=where)
        role = message.get("role")
        if not isinstance(role, str):
            raise bad_request(f"{where} needs a string `role`", param=f"{where}.role")
        role = _ROLE_ALIASES.get(role, role)
        if role in _UNSUPPORTED_ROLES:
            raise bad_request(f"{where} has role {role!r}, OpenAI's legacy function calling; "
                              "send `tool` messages and assistant `tool_calls` instead",
                              param=f"{where}.role")
        if role == "tool" or (role == "assistant" and message.get("tool_calls")):
            from rails.server.tool_wire import tool_message

            content = message.get("content")
            normalized.append(tool_message(message, where, None if content is None
                                           else _text(content, where)))
        elif role == "event":
            normalized.append({"role": "event", "event": message.get("event")})
        elif role == "context":
            normalized.append({"role": "context", "content": message.get("content")})
        else:
            normalized.append({"role": role, "content": _text(message.get("content"), where)})
    from rails.messages import validate_messages

    try:
        validate_messages(normalized, tool_sequence=False)  # (a thread may hold the calls)
    except ValueError as error:
        from rails.server.tool_wire import field_of

        raise bad_request(str(error), param=field_of(error, "messages")) from error
    return normalized


def _text(content: Any, where: str) -> Any:
    """OpenAI content may be a list of parts; rails take text, so text parts are joined."""
    if not isinstance(content, list):
        return content  # validated by validate_messages, which names a wrong type
    texts = []
    for number, part in enumerate(content):
        if not isinstance(part, dict) or part.get("type") != "text" \
                or not isinstance(part.get("text"), str):
            kind = part.get("type") if isinstance(part, dict) else type(part).__name__
            raise bad_request(f"{where}.content[{number}] is a {kind!r} part; only text parts "
                              "are supported", param=f"{where}.content")
        texts.append(part["text"])
    return "".join(texts)


def _config_ids(body: dict) -> Optional[list[str]]:
    config_id, config_ids = body.get("config_id"), body.get("config_ids")
    if config_id is not None and config_ids is not None:
        raise bad_request("give either `config_id` or `config_ids`, not both",
                          param="config_ids")
    if config_id is not None:
        if not isinstance(config_id, str) or not config_id:
            raise bad_request("`config_id` must be a non-empty string", param="config_id")
        return [config_id]
    if config_ids is not None:
        if not isinstance(config_ids, list) or not config_ids or not all(
                isinstance(item, str) and item for item in config_ids):
            raise bad_request("`config_ids` must be a non-empty array of config ids",
                              param="config_ids")
        return list(config_ids)
    return None


def _optional_str(body: dict, key: str) -> Optional[str]:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"`{key}` must be a string", param=key)
    return value or None


def _stream(body: dict) -> bool:
    value = body.get("stream", False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_request("`stream` must be true or false", param="stream")
    return value


def _thread_id(value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or not THREAD_ID_MIN <= len(value) <= THREAD_ID_MAX:
        raise bad_request(f"`thread_id` must be a string of {THREAD_ID_MIN} to {THREAD_ID_MAX} "
                          "characters (hard to guess, since it is the only key to the history)",
                          param="thread_id")
    if not _THREAD_ID_CHARACTERS.fullmatch(value):
        raise bad_request("`thread_id` may hold only printable ASCII characters without spaces "
                          "(letters, digits, punctuation), e.g. a UUID", param="thread_id")
    return value


def _check_state_events(events: Any) -> None:
    """`state.events` as a previous response returned it: a list of event objects."""
    if events is None:
        return
    if not isinstance(events, list):
        raise bad_request("`state.events` must be an array of event objects",
                          param="state.events")
    for index, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise bad_request(f"`state.events[{index}]` must be an event object with a string "
                              "`type`", param=f"state.events[{index}]")


def _options(raw: Any, extra_llm_params: dict) -> tuple[Any, bool]:
    from pydantic import ValidationError

    from rails.options import GenerationOptions

    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise bad_request("`options` must be an object (GenerationOptions)", param="options")
    try:
        options = GenerationOptions(**raw)
    except (ValidationError, TypeError, ValueError) as error:
        raise bad_request(f"invalid `options`: {_pydantic_message(error)}",
                          param="options") from error
    if extra_llm_params:
        options.llm_params = {**extra_llm_params, **(options.llm_params or {})}
    wanted = options.log
    log_requested = bool(wanted.activated_rails or wanted.llm_calls or wanted.internal_events
                         or wanted.colang_history)
    return options, log_requested


def _pydantic_message(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return str(error)
    parts = []
    for item in errors():
        location = ".".join(str(part) for part in item.get("loc", ())) or "options"
        parts.append(f"{location}: {item.get('msg')}")
    return "; ".join(parts)


# -- responses -------------------------------------------------------------------------------

def new_completion_id() -> str:
    return "chatcmpl-" + secrets.token_hex(12)


def completion_body(completion_id: str, model: str, message: dict, finish_reason: str,
                    usage: dict, created: Optional[int] = None) -> dict:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created or int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason,
                     "logprobs": None}],
        "usage": usage,
    }


def chunk_body(completion_id: str, model: str, created: int, delta: dict,
               finish_reason: Optional[str] = None) -> dict:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason,
                     "logprobs": None}],
    }


def usage_from_log(log: Any) -> dict:
    stats = getattr(log, "stats", None)
    prompt = (getattr(stats, "llm_calls_total_prompt_tokens", 0) or 0) if stats else 0
    completion = (getattr(stats, "llm_calls_total_completion_tokens", 0) or 0) if stats else 0
    total = (getattr(stats, "llm_calls_total_tokens", 0) or 0) if stats else 0
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": total or prompt + completion}
