"""`llm_call`: one model call, whatever the model is, recorded in the turn's call log.

Models: any LangChain LLM or chat model, and the built-in OpenAI-compatible engine (anything
with the `NativeModel` shape: `async generate(...) -> Completion`). LangChain is imported only
when a LangChain model is actually called.

Two context variables connect a call to the turn that made it: `current_call_log` (the
runtime sets an `LLMCallLog` per turn; every call appends an `LLMCallInfo`) and
`streaming_handler` (an async callable that receives tokens as they arrive).
"""
from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional, Union

from rails.deadline import Expired, bounded
from rails.errors import LLMCallError, LLMTimeoutError
from rails.llm.params import active_params

Prompt = Union[str, list]
TokenHandler = Callable[[str], Awaitable[Any]]


@dataclass
class LLMCallInfo:
    """What one model call was asked, answered and cost. `prompt` is the prompt as text; a
    chat prompt (a message list) is kept as given and turned into text only when read, since
    in passthrough mode it is the whole conversation and most turns never read it."""
    task: Optional[str] = None
    prompt_source: Prompt = None
    completion: Optional[str] = None
    duration: Optional[float] = None
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    total_tokens: Optional[int] = None
    started_at: Optional[float] = None
    finished_at: Optional[float] = None
    llm_model_name: Optional[str] = None
    raw_response: Optional[dict] = None

    @property
    def prompt(self) -> Optional[str]:
        source = self.prompt_source
        return source if source is None or isinstance(source, str) else prompt_as_text(source)


@dataclass
class LLMCallLog:
    calls: list[LLMCallInfo] = field(default_factory=list)

    def add(self, info: LLMCallInfo) -> None:
        self.calls.append(info)

    @property
    def llm_calls(self) -> list[LLMCallInfo]:
        """NeMo's name (its explain info), for code that reads `explain_info_var`."""
        return self.calls


current_call_log: ContextVar[Optional[LLMCallLog]] = ContextVar("rails_llm_call_log",
                                                                default=None)
streaming_handler: ContextVar[Optional[TokenHandler]] = ContextVar("rails_streaming_handler",
                                                                   default=None)
# What code outside the engine says about its next call (NeMo's `llm_call_info_var`): an
# action sets an LLMCallInfo with its task name before calling `llm_call` without one.
llm_call_info: ContextVar[Optional[LLMCallInfo]] = ContextVar("rails_llm_call_info", default=None)
# Seconds a model call may take (the runtime sets `timeouts.llm` for each turn; None: no limit).
call_timeout: ContextVar[Optional[float]] = ContextVar("rails_llm_call_timeout", default=None)


@dataclass
class Completion:
    """The answer of a native model call."""
    text: str
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    total_tokens: Optional[int] = None
    raw: Optional[dict] = None
    # Tool calls of the answer, OpenAI's form: [{"id", "type": "function",
    # "function": {"name", "arguments": "<JSON text>"}}]
    tool_calls: Optional[list] = None


async def llm_call(llm: Any, prompt: Prompt, stop: Optional[list[str]] = None, *,
                   task: Optional[str] = None, temperature: Optional[float] = None,
                   max_tokens: Optional[int] = None,
                   llm_params: Optional[dict] = None) -> str:
    """Call `llm` with a string or a list of `{type, content}` messages; return the text.

    `stop` may also be passed positionally, as in NeMo Guardrails. Settings of an enclosing
    `rails.llm.params.llm_params(llm, ...)` block apply unless given here.
    """
    return (await llm_completion(llm, prompt, stop, task=task, temperature=temperature,
                                 max_tokens=max_tokens, llm_params=llm_params)).text


async def llm_completion(llm: Any, prompt: Prompt, stop: Optional[list[str]] = None, *,
                         task: Optional[str] = None, temperature: Optional[float] = None,
                         max_tokens: Optional[int] = None, llm_params: Optional[dict] = None,
                         tool_params: Optional[dict] = None) -> Completion:
    """`llm_call`, returning the whole Completion; `tool_params` (`tools`, `tool_choice`,
    `parallel_tool_calls`) offer tools, and the completion's `tool_calls` holds the calls."""
    if llm is None:
        raise LLMCallError(f"no model is configured for task '{task or 'unknown'}'; add a "
                           "`type: main` model to config.yml or pass `llm=` to LLMRails")
    block = active_params(llm)
    if block:
        if temperature is None:
            temperature = block.get("temperature")
        if max_tokens is None:
            max_tokens = block.get("max_tokens")
        extra = {k: v for k, v in block.items() if k not in ("temperature", "max_tokens")}
        llm_params = {**extra, **(llm_params or {})} or None
    if task is None:
        announced = llm_call_info.get()
        task = announced.task if announced is not None else None
    handler = streaming_handler.get()
    traits = _traits(llm)
    started = time.time()
    clock = time.perf_counter()
    if traits.native:
        params = {**(llm_params or {}), **tool_params} if tool_params else llm_params
        work = llm.generate(prompt, stop=stop, temperature=temperature,
                            max_tokens=max_tokens, params=params, on_token=handler)
    else:
        work = _langchain_call(llm, traits, prompt, stop, temperature, max_tokens,
                               llm_params, handler, tool_params)
    completion = await within_llm_deadline(work, llm, task, traits.name)
    log = current_call_log.get()
    if log is not None:
        duration = time.perf_counter() - clock
        log.add(LLMCallInfo(
            task=getattr(task, "value", task), prompt_source=prompt,
            completion=_logged_text(completion), duration=duration,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            total_tokens=completion.total_tokens, started_at=started,
            finished_at=started + duration, llm_model_name=traits.name,
            raw_response=completion.raw))
    return completion


def _logged_text(completion: Completion) -> str:
    if not completion.tool_calls:
        return completion.text
    from rails.tool_shapes import tool_calls_text

    return tool_calls_text(completion.tool_calls, completion.text)


async def within_llm_deadline(work: Any, llm: Any, task: Any = None,
                              name: Optional[str] = None) -> Any:
    """Await one model call (`work`) within the turn's `timeouts.llm`; past it the call is
    cancelled and LLMTimeoutError raised. For code that calls a model without `llm_call`
    (tool calling), so that every model call has the same deadline."""
    limit = call_timeout.get()
    if limit is None:
        return await work
    try:
        return await bounded(work, limit)
    except Expired:
        raise LLMTimeoutError(
            f"the model call for task '{getattr(task, 'value', task) or 'unknown'}' to "
            f"{name or model_name(llm)} did not answer within {limit:g} s (timeouts.llm); it "
            "was cancelled", limit=limit, endpoint=getattr(llm, "base_url", None)) from None


@dataclass(frozen=True)
class _ModelTraits:
    """What `llm_call` needs to know about a model; read once per model, since attribute
    probes on LangChain's pydantic models (a missing attribute raises inside pydantic) cost
    more than a whole turn of the engine."""
    native: bool
    chat: bool
    has_temperature: bool
    has_max_tokens: bool
    name: str
    # A chat model with settings bound to it (`model.bind_tools(tools)`, as NeMo's tools
    # guide builds it): called with ainvoke/astream, which keep what was bound.
    binding: bool = False


_known_models: dict[int, tuple[Any, _ModelTraits]] = {}


def _traits(llm: Any) -> _ModelTraits:
    known = _known_models.get(id(llm))
    if known is not None and known[0] is llm:
        return known[1]
    native = bool(getattr(llm, "is_native_rails_model", False))
    chat = binding = False
    if not native:
        from langchain_core.language_models.chat_models import BaseChatModel

        chat = isinstance(llm, BaseChatModel)
        if not chat:
            from langchain_core.runnables import RunnableBinding

            chat = binding = isinstance(llm, RunnableBinding) and isinstance(
                llm.bound, BaseChatModel)
    traits = _ModelTraits(native, chat, hasattr(llm, "temperature"),
                          hasattr(llm, "max_tokens"), model_name(llm), binding)
    if len(_known_models) >= 256:  # models are few and long-lived; this only bounds misuse
        _known_models.clear()
    _known_models[id(llm)] = (llm, traits)  # holding `llm` keeps its id from being reused
    return traits


def prompt_as_text(prompt: Prompt) -> str:
    if isinstance(prompt, str):
        return prompt
    # (inlined `_message_kind`: passthrough prompts are the whole conversation, every turn)
    return "\n".join([f"[{m.get('type') or m.get('role') or 'user'}] {m.get('content', '')}"
                      for m in prompt])


def model_name(llm: Any) -> str:
    """A readable name for the model behind `llm` ("unknown" if it does not say)."""
    for attribute in ("model", "model_name"):
        value = getattr(llm, attribute, None)
        if isinstance(value, str):
            return value
    kwargs = getattr(llm, "model_kwargs", None)
    if isinstance(kwargs, dict):
        for key in ("model", "model_name", "name"):
            if isinstance(kwargs.get(key), str):
                return kwargs[key]
    return type(llm).__name__


def _message_kind(message: dict) -> str:
    return message.get("type") or message.get("role") or "user"


def to_langchain_messages(messages: list) -> list:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    converted = []
    for message in messages:
        kind = _message_kind(message)
        if kind == "tool" or message.get("tool_calls"):  # passthrough of a tool conversation
            from rails.llm.tool_calls import langchain_tool_message

            converted.append(langchain_tool_message(message))
        elif kind in ("user", "human"):
            converted.append(HumanMessage(content=message["content"]))
        elif kind in ("assistant", "bot", "ai"):
            converted.append(AIMessage(content=message["content"]))
        elif kind == "system":
            converted.append(SystemMessage(content=message["content"]))
        else:
            raise ValueError(f"unknown message type {kind!r} in a prompt; use system, user, "
                             "assistant or bot")
    return converted


def _call_kwargs(traits: _ModelTraits, temperature, max_tokens, llm_params) -> dict:
    """Settings go to LangChain as call kwargs (which real integrations merge into their
    request); temperature and max_tokens only when the model has such a setting."""
    kwargs = dict(llm_params) if llm_params else {}
    if temperature is not None and traits.has_temperature:
        kwargs["temperature"] = temperature
    if max_tokens is not None and traits.has_max_tokens:
        kwargs["max_tokens"] = max_tokens
    return kwargs


async def _langchain_call(llm, traits, prompt, stop, temperature, max_tokens, llm_params,
                          handler, tool_params=None) -> Completion:
    is_chat = traits.chat
    if tool_params or traits.binding:
        if not is_chat:
            raise LLMCallError(f"tools can only be offered to a chat model; {traits.name} is a "
                               "text-completion model")
        from rails.llm.tool_calls import langchain_tool_completion

        messages = to_langchain_messages(
            [{"type": "user", "content": prompt}] if isinstance(prompt, str) else prompt)
        try:
            return await langchain_tool_completion(
                llm, messages, stop, _call_kwargs(traits, temperature, max_tokens, llm_params),
                tool_params or {}, handler)
        except LLMCallError:
            raise
        except Exception as error:
            raise langchain_error(llm, error) from error
    if is_chat:
        model_input: Any = to_langchain_messages(
            [{"type": "user", "content": prompt}] if isinstance(prompt, str) else prompt)
    else:
        model_input = prompt if isinstance(prompt, str) else prompt_as_text(prompt)
    kwargs = _call_kwargs(traits, temperature, max_tokens, llm_params)
    try:
        if handler is not None:
            return await _langchain_stream(llm, model_input, stop, kwargs, handler, is_chat)
        return await _langchain_generate(llm, model_input, stop, kwargs, is_chat)
    except LLMCallError:
        raise
    except Exception as error:
        raise langchain_error(llm, error) from error


async def _langchain_generate(llm, model_input, stop, kwargs, is_chat) -> Completion:
    # `agenerate` takes the text (or the message list) as it is; `agenerate_prompt` would
    # only wrap it in a prompt value to unwrap it again.
    result = await llm.agenerate([model_input], stop=stop, **kwargs)
    generation = result.generations[0][0]
    completion = Completion(text=generation.text, raw=result.llm_output)
    usage = (result.llm_output or {}).get("token_usage") if result.llm_output else None
    if isinstance(usage, dict):
        completion.prompt_tokens = usage.get("prompt_tokens")
        completion.completion_tokens = usage.get("completion_tokens")
        completion.total_tokens = usage.get("total_tokens")
    # (read from __dict__: a missing-attribute probe on a pydantic model raises inside it,
    # which costs more than the rest of this function; plain LLMs' generations have no message)
    message = getattr(generation, "__dict__", {}).get("message")
    metadata = getattr(message, "usage_metadata", None)
    if metadata and completion.total_tokens is None:
        completion.prompt_tokens = metadata.get("input_tokens")
        completion.completion_tokens = metadata.get("output_tokens")
        completion.total_tokens = metadata.get("total_tokens")
    return completion


async def _langchain_stream(llm, model_input, stop, kwargs, handler, is_chat) -> Completion:
    parts: list[str] = []
    usage = None
    async for chunk in llm.astream(model_input, stop=stop, **kwargs):
        if is_chat:
            text = _chunk_text(chunk.content)
            usage = getattr(chunk, "usage_metadata", None) or usage
        else:
            text = chunk if isinstance(chunk, str) else str(chunk)
        if text:
            parts.append(text)
            await handler(text)
    completion = Completion(text="".join(parts))
    if usage:
        completion.prompt_tokens = usage.get("input_tokens")
        completion.completion_tokens = usage.get("output_tokens")
        completion.total_tokens = usage.get("total_tokens")
    return completion


def _chunk_text(content: Any) -> str:
    """Text of a chat chunk: a string, or the text parts of a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", ""))
                       for part in content
                       if isinstance(part, str) or (isinstance(part, dict)
                                                    and part.get("type") == "text"))
    return ""


def langchain_error(llm: Any, error: BaseException) -> LLMCallError:
    """An LLMCallError naming the model, its endpoint, the HTTP status and a body excerpt,
    as far as the provider's exception tells them."""
    status = getattr(error, "status_code", None) or getattr(error, "status", None)
    response = getattr(error, "response", None)
    if status is None and response is not None:
        status = getattr(response, "status_code", None)
    body = getattr(error, "body", None)
    if body is None and response is not None:
        try:
            body = response.text
        except Exception:  # a streamed or closed response has no text to show
            body = None
    excerpt = str(body)[:300] if body is not None else None
    endpoint = None
    for attribute in ("openai_api_base", "base_url", "endpoint_url", "api_base"):
        value = getattr(llm, attribute, None)
        if isinstance(value, str) and value:
            endpoint = value
            break
    where = model_name(llm) + (f" at {endpoint}" if endpoint else "")
    message = f"LLM call to {where} failed"
    if isinstance(status, int):
        message += f" with status {status}"
    message += f": {type(error).__name__}: {error}"
    if excerpt and excerpt not in message:
        message += f" (body: {excerpt})"
    return LLMCallError(message, endpoint=endpoint, status=status if isinstance(status, int)
                        else None, body_excerpt=excerpt)
