"""Tool calls and tool results in a conversation (passthrough mode, OpenAI's chat shapes):
their checks and the events that stand for them.

    {"role": "assistant", "content": null, "tool_calls": [{"id", "type": "function",
                                                           "function": {"name", "arguments"}}]}
    {"role": "tool", "tool_call_id": "call_1", "content": "12 degrees"}

An assistant message with calls becomes `StartToolCallBotAction(tool_calls, text)` (what a
turn emits when its calls passed the tool output rails, so nothing reacts to it again). The
tool results that end a conversation become one `UserToolMessages` event (the results after
the last assistant message, and the last user text): the core flow `process user tool
messages` runs the tool input rails on each and then lets the turn answer."""
from __future__ import annotations

from typing import Any, Optional

from rails.events import new_event_dict
from rails.tool_shapes import check_tool_call, normalize_tool_calls


def check_tool_message(index: int, message: dict) -> None:
    """A `tool` message, or an assistant message with `tool_calls`; ValueError naming the
    field otherwise."""
    where = f"messages[{index}]"
    if message["role"] == "tool":
        if not isinstance(message.get("tool_call_id"), str) or not message["tool_call_id"]:
            raise ValueError(f"{where} (role 'tool') needs a string 'tool_call_id': the id of "
                             "the call it answers")
        if not isinstance(message.get("content"), str):
            raise ValueError(f"{where} (role 'tool') needs a string 'content' (the result)")
        name = message.get("name")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"{where}.name must be a string")
        return
    calls = message["tool_calls"]
    if not isinstance(calls, list) or not calls:
        raise ValueError(f"{where}.tool_calls must be a non-empty list of calls "
                         "{id, type: 'function', function: {name, arguments}}")
    for number, call in enumerate(calls):
        check_tool_call(call, f"{where}.tool_calls[{number}]")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise ValueError(f"{where} (role 'assistant') needs a string or null 'content'")


def check_tool_sequence(messages: list[dict]) -> None:
    """Each tool result answers a call of the assistant message right before it (only other
    results in between), and at most once; as OpenAI's API requires."""
    open_calls: Optional[set] = None
    answered: set = set()
    for index, message in enumerate(messages):
        role = message.get("role")
        if role == "tool":
            call_id = message["tool_call_id"]
            if open_calls is None:
                raise ValueError(f"messages[{index}] (role 'tool') must follow an assistant "
                                 "message with 'tool_calls' (or other tool results)")
            if call_id not in open_calls:
                raise ValueError(f"messages[{index}].tool_call_id {call_id!r} answers no call "
                                 "of the assistant message before it (its calls: "
                                 f"{', '.join(sorted(open_calls))})")
            if call_id in answered:
                raise ValueError(f"messages[{index}].tool_call_id {call_id!r} is answered twice")
            answered.add(call_id)
        elif role == "assistant" and message.get("tool_calls"):
            open_calls = {call["id"] for call in message["tool_calls"]}
            answered = set()
        elif role in ("context", "event"):
            continue
        else:
            open_calls = None


def tool_events(messages: list[dict], index: int, last: int) -> list[dict]:
    """The events for `messages[index]`, a tool result or an assistant message with calls."""
    message = messages[index]
    if message["role"] != "tool":
        return [new_event_dict("StartToolCallBotAction",
                               tool_calls=normalize_tool_calls(message["tool_calls"]),
                               text=message.get("content") or "")]
    if index != last:
        return []  # the last result of the run stands for all of them
    messages, index = _whole_conversation(messages, index)
    results, user_text = [], ""
    for earlier in range(index, -1, -1):
        role = messages[earlier]["role"]
        if role == "tool":
            results.append(messages[earlier])
        elif role in ("context", "event"):
            continue
        else:
            break
    for earlier in range(index, -1, -1):
        if messages[earlier]["role"] == "user":
            user_text = messages[earlier]["content"]
            break
    results.reverse()
    return [{"type": "UserToolMessages", "user_message": user_text,
             "tool_messages": [{"content": result["content"],
                                "name": result.get("name") or _call_name(messages, result),
                                "tool_call_id": result["tool_call_id"]}
                               for result in results]}]


def _whole_conversation(messages: list[dict], index: int) -> tuple[list[dict], int]:
    """The conversation the turn passes through (with the messages a server thread kept
    before these), and where `messages[index]` is in it."""
    from rails.llm.passthrough import raw_llm_request

    whole = raw_llm_request.get()
    if isinstance(whole, list) and whole and whole[-1] is messages[index]:
        return whole, len(whole) - 1
    return messages, index


def _call_name(messages: list[dict], result: dict) -> str:
    """The name of the function a result answers (NeMo says "unknown" when the result does
    not name it; the call it answers does)."""
    for message in reversed(messages):
        for call in message.get("tool_calls") or ():
            if isinstance(call, dict) and call.get("id") == result["tool_call_id"]:
                return (call.get("function") or {}).get("name") or call.get("name") or "unknown"
    return "unknown"


def tool_calls_key(message: dict) -> str:
    """Part of the history key of an assistant message with calls (calls differ, so must
    the keys of conversations that had them)."""
    import json

    return json.dumps({"content": message.get("content") or "",  # (null and "": the same)
                       "tool_calls": normalize_tool_calls(message.get("tool_calls"))},
                      sort_keys=True, default=str)


def is_tool_message(message: Any) -> bool:
    return isinstance(message, dict) and (message.get("role") == "tool"
                                          or bool(message.get("tool_calls")))


def tools_not_allowed(where: str) -> ValueError:
    return ValueError(f"{where} is a tool call or a tool result; tool calls pass through only "
                      "a config in passthrough mode (`passthrough: true` in config.yml)")


def check_tool_params(config: Any, llm_params: Optional[dict],
                      where: str = "options.llm_params.") -> None:
    """The request's `tools`, `tool_choice` and `parallel_tool_calls` (in `llm_params`, as
    NeMo's server puts them): ValueError naming the field when they are malformed, or when
    the config is not in passthrough mode."""
    if not llm_params:
        return
    from rails.tool_shapes import TOOL_PARAMS, check_tool_choice, check_tools

    given = [key for key in TOOL_PARAMS if llm_params.get(key) is not None]
    if not given:
        return
    if not getattr(config, "passthrough", False):
        raise tools_not_allowed(f"{where}{given[0]}")
    tools = check_tools(llm_params.get("tools") or [], f"{where}tools")
    parallel = llm_params.get("parallel_tool_calls")
    if parallel is not None and not isinstance(parallel, bool):
        raise ValueError(f"`{where}parallel_tool_calls` must be true or false")
    choice = llm_params.get("tool_choice")
    if choice is not None:
        names = {tool["function"]["name"] for tool in tools}
        names.update(tool["function"]["name"] for tool in config.tool_use.passthrough.tools)
        check_tool_choice(choice, names, f"{where}tool_choice")
