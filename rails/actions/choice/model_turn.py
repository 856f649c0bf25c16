"""One step of the model: offer the tools, get back text and tool calls.

Three ways, tried in this order: the built-in OpenAI-compatible engine's `tools`, a
LangChain chat model's `bind_tools`, and the prompt form (any model). Every call is recorded
in the turn's LLM call log under the task `choose_action`."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from rails.actions.choice.prompt import parse_reply, render_prompt, tool_call_dict
from rails.errors import LLMCallError
from rails.llm.call import (LLMCallInfo, current_call_log, llm_call, model_name,
                            within_llm_deadline)

TASK = "choose_action"


@dataclass
class ModelTurn:
    text: str
    calls: list = field(default_factory=list)   # OpenAI tool-call dicts
    thought: Optional[str] = None
    native: bool = False


def supports_native_tools(llm: Any) -> bool:
    if getattr(llm, "is_native_rails_model", False):
        return callable(getattr(llm, "chat_with_tools", None)) and \
            getattr(llm, "api", "chat") == "chat"
    try:
        from langchain_core.language_models.chat_models import BaseChatModel
    except ImportError:  # pragma: no cover - langchain-core is a dependency
        return False
    if not isinstance(llm, BaseChatModel):
        return False
    bind = getattr(type(llm), "bind_tools", None)
    return bind is not None and bind is not BaseChatModel.bind_tools


async def model_step(llm: Any, conversation: list[dict], offers: list, *, native: bool,
                     instructions: str, final: bool, step: int) -> ModelTurn:
    if native and getattr(llm, "is_native_rails_model", False):
        return await _openai_step(llm, conversation, offers, instructions, final)
    if native:
        return await _langchain_step(llm, conversation, offers, instructions, final)
    prompt = render_prompt(instructions, offers, conversation, final)
    text = await llm_call(llm, prompt, task=TASK)
    thought, calls, answer = parse_reply(text)
    return ModelTurn(text=answer, thought=thought, calls=[
        tool_call_dict(f"call_{step}_{number}", call["name"], call["arguments"])
        for number, call in enumerate(calls)])


def _with_instructions(conversation: list[dict], instructions: str) -> list[dict]:
    if instructions and instructions.strip() and not any(
            message.get("role") == "system" for message in conversation):
        return [{"role": "system", "content": instructions.strip()}] + conversation
    return conversation


async def _openai_step(llm, conversation, offers, instructions, final) -> ModelTurn:
    messages = _with_instructions(conversation, instructions)
    tools = [offer.openai_tool() for offer in offers]
    started, clock = time.time(), time.perf_counter()
    completion = await within_llm_deadline(llm.chat_with_tools(
        messages, tools, tool_choice="none" if final and tools else None), llm, TASK)
    _record(llm, messages, completion.text, completion.raw, started, clock,
            completion.prompt_tokens, completion.completion_tokens, completion.total_tokens)
    calls = [] if final else list(completion.tool_calls or [])
    if calls:
        return ModelTurn(text="", calls=calls, thought=completion.text or None, native=True)
    return ModelTurn(text=completion.text or "", native=True)


async def _langchain_step(llm, conversation, offers, instructions, final) -> ModelTurn:
    from rails.llm.call import langchain_error

    messages = _langchain_messages(_with_instructions(conversation, instructions))
    started, clock = time.time(), time.perf_counter()
    model = llm if final or not offers else llm.bind_tools(
        [offer.openai_tool() for offer in offers])
    try:
        answer = await within_llm_deadline(model.ainvoke(messages), llm, TASK)
    except LLMCallError:
        raise
    except Exception as error:
        raise langchain_error(llm, error) from error
    text = answer.content if isinstance(answer.content, str) else _blocks_text(answer.content)
    usage = getattr(answer, "usage_metadata", None) or {}
    _record(llm, conversation, text, None, started, clock, usage.get("input_tokens"),
            usage.get("output_tokens"), usage.get("total_tokens"))
    calls = []
    if not final:
        for call in getattr(answer, "tool_calls", None) or ():
            calls.append(tool_call_dict(call.get("id") or f"call_{len(calls)}",
                                        call["name"], call.get("args") or {}))
        for call in getattr(answer, "invalid_tool_calls", None) or ():
            calls.append(tool_call_dict(call.get("id") or f"call_{len(calls)}",
                                        call.get("name") or "", call.get("args") or ""))
    if calls:
        return ModelTurn(text="", calls=calls, thought=text or None, native=True)
    return ModelTurn(text=text, native=True)


def _blocks_text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", ""))
                       for part in content if isinstance(part, (str, dict)))
    return str(content or "")


def _langchain_messages(conversation: list[dict]) -> list:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    converted = []
    for message in conversation:
        role, content = message.get("role"), message.get("content") or ""
        if role == "system":
            converted.append(SystemMessage(content=content))
        elif role == "user":
            converted.append(HumanMessage(content=content))
        elif role == "assistant":
            calls = [{"id": call["id"], "name": call["function"]["name"],
                      "args": _loads(call["function"].get("arguments"))}
                     for call in message.get("tool_calls") or ()]
            converted.append(AIMessage(content=content, tool_calls=calls))
        elif role == "tool":
            converted.append(ToolMessage(content=content,
                                         tool_call_id=message.get("tool_call_id", "")))
    return converted


def _loads(text: Any) -> dict:
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _record(llm, prompt, text, raw, started, clock, prompt_tokens, completion_tokens,
            total_tokens) -> None:
    log = current_call_log.get()
    if log is None:
        return
    duration = time.perf_counter() - clock
    log.add(LLMCallInfo(task=TASK, prompt_source=prompt, completion=text, duration=duration,
                        prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                        total_tokens=total_tokens, started_at=started,
                        finished_at=started + duration, llm_model_name=model_name(llm),
                        raw_response=raw))
