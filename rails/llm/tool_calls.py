"""Tool calls with LangChain chat models (passthrough mode): tool messages as LangChain's
messages, tools bound with `bind_tools`, the calls read back in OpenAI's form
(`rails.tool_shapes`)."""
from __future__ import annotations

import json
from typing import Any, Optional

from rails.tool_shapes import normalize_tool_calls, openai_tool_call

# -- LangChain ----------------------------------------------------------------------------------

def langchain_tool_message(message: dict) -> Any:
    """A `tool` message, or an assistant message with `tool_calls`, as LangChain's message."""
    from langchain_core.messages import AIMessage, ToolMessage

    if (message.get("type") or message.get("role")) == "tool":
        return ToolMessage(content=message.get("content") or "",
                           tool_call_id=message.get("tool_call_id") or "",
                           **({"name": message["name"]} if message.get("name") else {}))
    calls = []
    for call in normalize_tool_calls(message.get("tool_calls")):
        try:
            args = json.loads(call["function"]["arguments"] or "{}")
        except ValueError:
            args = {}
        calls.append({"id": call["id"], "name": call["function"]["name"],
                      "args": args if isinstance(args, dict) else {}, "type": "tool_call"})
    return AIMessage(content=message.get("content") or "", tool_calls=calls)


def bind_langchain_tools(llm: Any, tool_params: dict) -> Any:
    """`llm.bind_tools(tools, tool_choice=...)`; a model without `bind_tools` gets the tools
    as call settings (OpenAI-style providers put them in the request)."""
    tools = tool_params.get("tools") or []
    extra = {key: tool_params[key] for key in ("tool_choice", "parallel_tool_calls")
             if tool_params.get(key) is not None}
    if not tools and not extra:
        return llm  # (a model bound with its tools already)
    bind = getattr(llm, "bind_tools", None)
    if callable(bind) and tools:
        try:
            return bind(tools, **extra)
        except NotImplementedError:
            pass
    return llm.bind(**({"tools": tools} if tools else {}), **extra)


async def langchain_tool_completion(llm: Any, messages: list, stop: Any, kwargs: dict,
                                    tool_params: dict, handler: Any) -> Any:
    """One chat call with tools offered; the text streams to `handler` when one listens."""
    from rails.llm.call import Completion, _chunk_text

    model = bind_langchain_tools(llm, tool_params)
    if stop:
        kwargs = {**kwargs, "stop": stop}
    if handler is None:
        answer = await model.ainvoke(messages, **kwargs)
        text = _chunk_text(answer.content)
        calls = _langchain_calls(answer)
        usage = getattr(answer, "usage_metadata", None) or {}
    else:
        answer = None
        async for chunk in model.astream(messages, **kwargs):
            answer = chunk if answer is None else answer + chunk
            piece = _chunk_text(chunk.content)
            if piece:
                await handler(piece)
        text = _chunk_text(answer.content) if answer is not None else ""
        calls = _langchain_calls(answer) if answer is not None else None
        usage = getattr(answer, "usage_metadata", None) or {}
    return Completion(text=text, tool_calls=calls, prompt_tokens=usage.get("input_tokens"),
                      completion_tokens=usage.get("output_tokens"),
                      total_tokens=usage.get("total_tokens"))


def _langchain_calls(answer: Any) -> Optional[list[dict]]:
    calls = [openai_tool_call(call.get("id"), call.get("name") or "", call.get("args") or {})
             for call in getattr(answer, "tool_calls", None) or ()]
    calls += [openai_tool_call(call.get("id"), call.get("name") or "", call.get("args") or "")
              for call in getattr(answer, "invalid_tool_calls", None) or ()]
    return calls or None

