"""Tool calling on `/v1/chat/completions` (configs in passthrough mode): the request's
`tools`, `tool_choice` and `parallel_tool_calls`, its `tool` messages and assistant messages
with `tool_calls`; the answer's `tool_calls`, whole and as streamed `delta.tool_calls` chunks.

Every rejection is a 400 naming the field (`tools[1].function.name`,
`messages[3].tool_call_id`); a config not in passthrough mode refuses all of it."""
from __future__ import annotations

import re
from typing import Any, Iterator, Optional

from rails.server.api_errors import bad_request
from rails.tool_shapes import TOOL_PARAMS, check_tool_choice, check_tools

_FIELD = re.compile(r"`?((?:messages|tools|tool_choice|parallel_tool_calls)"
                    r"(?:\[\d+\]|\.[A-Za-z_]+)*)`?")


def tool_fields(body: dict) -> dict:
    """The request's tool settings, checked (they travel to the model as `llm_params`)."""
    fields = {key: body[key] for key in TOOL_PARAMS if body.get(key) is not None}
    try:
        check_tools(fields.get("tools", []))
        if "tool_choice" in fields:  # (its name is checked with the config's tools too)
            check_tool_choice(fields["tool_choice"])
    except ValueError as error:
        raise bad_request(str(error), param=field_of(error, "tools")) from error
    if not isinstance(fields.get("parallel_tool_calls", False), bool):
        raise bad_request("`parallel_tool_calls` must be true or false",
                          param="parallel_tool_calls")
    return fields


def tool_message(message: dict, where: str, text: Any) -> dict:
    """A `tool` message or an assistant message with `tool_calls`, as the engine takes it
    (`text`: the content with text parts joined)."""
    if message.get("role") == "tool":
        kept = {"role": "tool", "content": text, "tool_call_id": message.get("tool_call_id")}
        if message.get("name") is not None:
            kept["name"] = message["name"]
        return kept
    return {"role": "assistant", "content": text, "tool_calls": message.get("tool_calls")}


def field_of(error: Exception, default: str) -> str:
    """The field a message of ours names first (`messages[2].tool_call_id`)."""
    found = _FIELD.search(str(error))
    return found.group(1) if found else default


def first_tool_use(request_fields: dict, messages: list[dict]) -> Optional[str]:
    """The first field of the request that uses tool calling, or None."""
    for key in TOOL_PARAMS:
        if key in request_fields:
            return key
    for index, message in enumerate(messages):
        if message.get("role") == "tool":
            return f"messages[{index}]"
        if message.get("tool_calls"):
            return f"messages[{index}].tool_calls"
    return None


def check_sequence(messages: list[dict], offset: int = 0) -> None:
    """Each tool result answers a call right before it (`offset`: messages of the thread
    before these, so that the field named is the request's own)."""
    from rails.tool_messages import check_tool_sequence

    try:
        check_tool_sequence(messages)
    except ValueError as error:
        message = str(error)
        if offset:
            message = re.sub(r"messages\[(\d+)\]",
                             lambda m: f"messages[{int(m.group(1)) - offset}]"
                             if int(m.group(1)) >= offset else "a message of the thread",
                             message)
        raise bad_request(message, param=field_of(ValueError(message), "messages")) from error


def refuse_without_passthrough(config: Any, field: Optional[str],
                               llm_params: Optional[dict] = None) -> None:
    """A config not in passthrough mode takes no tools; one that is checks the request's
    `tool_choice` against its own tools and the request's."""
    if field is None:
        return
    if not getattr(config, "passthrough", False):
        raise bad_request(f"`{field}`: tool calling needs a config in passthrough mode "
                          "(`passthrough: true` in its config.yml); this one is not",
                          param=field, code="tools_not_enabled")
    if config is not None and llm_params:
        from rails.tool_messages import check_tool_params

        try:
            check_tool_params(config, llm_params, where="")
        except ValueError as error:
            raise bad_request(str(error), param=field_of(error, "tools")) from error


# -- the answer -----------------------------------------------------------------------------

def visible_tool_message(message: dict) -> dict:
    """OpenAI's assistant message with calls: no text is `content: null`."""
    return {"role": "assistant", "content": message.get("content") or None,
            "tool_calls": message["tool_calls"]}


def tool_call_deltas(calls: list[dict]) -> Iterator[dict]:
    """The calls as OpenAI streams them: per call, a first delta with index, id, type and
    name (no arguments yet), then one with the arguments."""
    for index, call in enumerate(calls):
        function = call["function"]
        yield {"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                               "function": {"name": function["name"], "arguments": ""}}]}
        yield {"tool_calls": [{"index": index,
                               "function": {"arguments": function["arguments"]}}]}
