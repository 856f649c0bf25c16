"""llm_call with LangChain models: text and chat paths, settings, call log, streaming, errors."""
from __future__ import annotations

import subprocess
import sys
from typing import ClassVar

import pytest
from langchain_core.language_models.fake_chat_models import (FakeListChatModel,
                                                             GenericFakeChatModel)
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from rails.errors import LLMCallError
from rails.llm.call import LLMCallLog, current_call_log, llm_call, streaming_handler
from rails.testing import FakeLLM


class RecordingChat(FakeListChatModel):
    """A fake chat model that remembers the messages and kwargs it got."""
    seen: ClassVar[list] = []
    temperature: float = 0.7

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        RecordingChat.seen.append((messages, stop, kwargs))
        return await super()._agenerate(messages, stop=stop, run_manager=run_manager, **kwargs)


class FailingLLM(FakeLLM):
    def _call(self, prompt, stop=None, run_manager=None, **kwargs):
        error = RuntimeError("backend said no")
        error.status_code = 503
        error.body = '{"error": "overloaded"}'
        raise error

    async def _acall(self, prompt, stop=None, run_manager=None, **kwargs):
        return self._call(prompt)


@pytest.fixture
def call_log():
    log = LLMCallLog()
    token = current_call_log.set(log)
    yield log
    current_call_log.reset(token)


async def test_text_llm_gets_the_prompt_stop_and_settings(call_log):
    llm = FakeLLM(responses=["  ask about returns"])
    text = await llm_call(llm, "PROMPT", task="generate_user_intent", stop=["\n"],
                          temperature=0.001, max_tokens=5, llm_params={"seed": 1})
    assert text == "  ask about returns"
    assert llm.calls == [{"prompt": "PROMPT", "stop": ["\n"],
                          "kwargs": {"seed": 1, "temperature": 0.001, "max_tokens": 5}}]
    [call] = call_log.calls
    assert (call.task, call.prompt, call.completion) == ("generate_user_intent", "PROMPT",
                                                         "  ask about returns")
    assert call.duration >= 0 and call.finished_at >= call.started_at


async def test_settings_the_model_does_not_have_are_not_sent():
    from langchain_core.language_models.fake import FakeListLLM

    seen = []

    class Bare(FakeListLLM):  # no temperature / max_tokens settings
        def _call(self, prompt, stop=None, run_manager=None, **kwargs):
            seen.append(kwargs)
            return "ok"

        async def _acall(self, prompt, stop=None, run_manager=None, **kwargs):
            return self._call(prompt, stop, **kwargs)

    assert await llm_call(Bare(responses=["ok"]), "hi", temperature=0.5, max_tokens=3,
                          llm_params={"seed": 7}) == "ok"
    assert seen == [{"seed": 7}]


async def test_chat_model_gets_messages_of_the_right_kinds(call_log):
    RecordingChat.seen.clear()
    chat = RecordingChat(responses=["Bot message: \"Hi\""])
    prompt = [{"type": "system", "content": "rules"}, {"type": "user", "content": "hi"},
              {"type": "bot", "content": "Bot intent: greet"}]
    assert await llm_call(chat, prompt, task="generate_bot_message",
                          temperature=0.2) == 'Bot message: "Hi"'
    messages, _, kwargs = RecordingChat.seen[0]
    assert [type(m) for m in messages] == [SystemMessage, HumanMessage, AIMessage]
    assert kwargs == {"temperature": 0.2}
    assert call_log.calls[0].prompt.startswith("[system] rules")


async def test_string_prompt_becomes_one_user_message_for_chat_models():
    RecordingChat.seen.clear()
    await llm_call(RecordingChat(responses=["x"]), "just text")
    messages, _, _ = RecordingChat.seen[0]
    assert len(messages) == 1 and isinstance(messages[0], HumanMessage)
    assert messages[0].content == "just text"


async def test_unknown_message_type_is_rejected():
    with pytest.raises(ValueError, match="unknown message type .function."):
        await llm_call(FakeListChatModel(responses=["x"]), [{"type": "function", "content": "x"}])


async def test_streaming_passes_tokens_for_text_and_chat_models(call_log):
    tokens = []

    async def on_token(token):
        tokens.append(token)

    handle = streaming_handler.set(on_token)
    try:
        text = await llm_call(FakeLLM(responses=["one two three"]), "p")
        chat_text = await llm_call(GenericFakeChatModel(messages=iter(["alpha beta"])), "p")
    finally:
        streaming_handler.reset(handle)
    assert text == "one two three"
    assert chat_text == "alpha beta"
    assert "".join(tokens) == "one two threealpha beta"
    assert len(tokens) >= 4
    assert [c.completion for c in call_log.calls] == ["one two three", "alpha beta"]


class CountingChat(FakeListChatModel):
    """A chat model that reports token usage the way current LangChain chat models do."""

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.outputs import ChatGeneration, ChatResult

        usage = {"input_tokens": 11, "output_tokens": 2, "total_tokens": 13}
        message = AIMessage(content="Hello!", usage_metadata=usage)
        return ChatResult(generations=[ChatGeneration(message=message)])


class CountingLLM(FakeLLM):
    """A text model that reports token usage in `llm_output`, as OpenAI's LLM class does."""

    async def _agenerate(self, prompts, stop=None, run_manager=None, **kwargs):
        from langchain_core.outputs import Generation, LLMResult

        usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
        return LLMResult(generations=[[Generation(text="Hi")]],
                         llm_output={"token_usage": usage})


async def test_token_counts_are_read_from_chat_and_text_models(call_log):
    assert await llm_call(CountingChat(responses=["unused"]), "p") == "Hello!"
    assert await llm_call(CountingLLM(responses=["unused"]), "p") == "Hi"
    counts = [(c.prompt_tokens, c.completion_tokens, c.total_tokens) for c in call_log.calls]
    assert counts == [(11, 2, 13), (7, 3, 10)]


async def test_no_call_log_means_nothing_is_recorded():
    assert current_call_log.get() is None
    assert await llm_call(FakeLLM(responses=["x"]), "p") == "x"


async def test_model_errors_become_llm_call_errors_with_status_and_body():
    with pytest.raises(LLMCallError) as info:
        await llm_call(FailingLLM(), "p", task="general")
    error = info.value
    assert error.status == 503
    assert "overloaded" in error.body_excerpt
    assert "FailingLLM" in str(error) and "backend said no" in str(error)
    assert isinstance(error.__cause__, RuntimeError)


async def test_missing_model_is_a_clear_error():
    with pytest.raises(LLMCallError, match="no model is configured for task 'general'"):
        await llm_call(None, "p", task="general")


def test_import_rails_does_not_import_langchain_httpx_or_jinja():
    code = ("import sys, rails, rails.llm, rails.llm.call, rails.llm.generation; "
            "heavy = [m for m in ('langchain_core', 'httpx', 'jinja2') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


async def test_every_call_to_a_native_model_is_recorded():
    from rails.llm.call import Completion

    class Instant:
        is_native_rails_model = True

        async def generate(self, prompt, **kwargs):
            return Completion(text="x")

    model = Instant()
    log = LLMCallLog()
    token = current_call_log.set(log)
    try:
        for _ in range(2000):
            await llm_call(model, "p", task="t")
    finally:
        current_call_log.reset(token)
    assert len(log.calls) == 2000


async def test_llm_params_block_applies_to_calls_inside_it_only():
    from rails.llm.params import llm_params

    llm = FakeLLM(responses=["a", "b", "c"])
    other = FakeLLM(responses=["x"])
    with llm_params(llm, temperature=0.0, max_tokens=9, seed=4):
        await llm_call(llm, "p1")
        await llm_call(llm, "p2", None, temperature=0.5)   # explicit setting wins
        await llm_call(other, "p3")                         # another model: untouched
    await llm_call(llm, "p4")
    assert [c["kwargs"] for c in llm.calls] == [
        {"seed": 4, "temperature": 0.0, "max_tokens": 9},
        {"seed": 4, "temperature": 0.5, "max_tokens": 9},
        {}]
    assert other.calls[0]["kwargs"] == {}
