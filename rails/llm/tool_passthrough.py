"""Passthrough mode with tools: the main model gets the caller's conversation and the tools
of the turn, and answers with text or with tool calls (OpenAI's form) for the caller to run."""
from __future__ import annotations

from typing import Any, Optional

from rails.llm.call import llm_completion, streaming_handler
from rails.tool_shapes import normalize_tool_calls, rail_view


# -- what a passthrough turn offers ------------------------------------------------------------

def offered_tool_params(config: Any, llm_params: Optional[dict]) -> tuple[dict, dict]:
    """(the tool settings of this turn, the other call settings): the config's
    `tool_use.passthrough` tools with the request's (`llm_params.tools`) added, a request's
    tool of the same name replacing the config's; its `tool_choice` and `parallel_tool_calls`
    win over the config's. No tools: no tool settings at all."""
    from rails.tool_shapes import split_tool_params

    requested, rest = split_tool_params(llm_params)
    section = getattr(getattr(config, "tool_use", None), "passthrough", None)
    tools: dict[str, dict] = {}
    for tool in list(getattr(section, "tools", None) or []) + list(
            requested.get("tools") or []):
        tools[tool["function"]["name"]] = tool
    if not tools:
        return {}, rest
    params: dict[str, Any] = {"tools": list(tools.values())}
    for key in ("tool_choice", "parallel_tool_calls"):
        value = requested.get(key)
        if value is None:
            value = getattr(section, key, None)
        if value is not None:
            params[key] = value
    return params, rest


async def passthrough_answer(config: Any, llm: Any, prompt: Any, llm_params: Optional[dict],
                             task: str) -> tuple[str, Optional[list[dict]]]:
    """(the model's text, its tool calls as the rails see them, or None)."""
    tool_params, rest = offered_tool_params(config, llm_params)
    holds_calls = bool(tool_params) and bool(config.rails.tool_output.flows
                                             or config.rails.output.flows)
    # Text beside calls waits for the rails that check the calls: no token goes out early.
    token = streaming_handler.set(None) if holds_calls else None
    try:
        completion = await llm_completion(llm, prompt, task=task, llm_params=rest or None,
                                          tool_params=tool_params or None)
    finally:
        if token is not None:
            streaming_handler.reset(token)
    calls = normalize_tool_calls(completion.tool_calls)
    if not calls:
        if token is not None and completion.text:
            handler = streaming_handler.get()  # the text was held back: it goes out now
            if handler is not None:
                await handler(completion.text)
        return completion.text, None
    return completion.text or "", rail_view(calls)


def checked_tool_results(prompt: Any, context: dict) -> Any:
    """The caller's conversation with its last tool results as the tool input rails left
    them (`$tool_messages`, by `tool_call_id`; a rail may have masked data in one)."""
    checked = context.get("tool_messages")
    if not isinstance(prompt, list) or not prompt or not checked or \
            prompt[-1].get("role") != "tool":
        return prompt
    texts = {result.get("tool_call_id"): result.get("content") for result in checked
             if isinstance(result, dict)}
    prompt = list(prompt)
    for index in range(len(prompt) - 1, -1, -1):
        message = prompt[index]
        if message.get("role") != "tool":
            break
        text = texts.get(message.get("tool_call_id"))
        if isinstance(text, str) and text != message.get("content"):
            prompt[index] = {**message, "content": text}  # (a copy: the caller's is theirs)
    return prompt
