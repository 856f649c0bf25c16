"""FakeLLM: canned answers in order, sync/async/streaming, and a clear error when exhausted."""
from __future__ import annotations

import pytest

from rails.testing import FakeLLM, FakeLLMExhausted


def test_sync_answers_in_order_and_records_prompts():
    llm = FakeLLM(responses=["one", "two"])
    assert llm.invoke("first") == "one"
    assert llm.invoke("second", stop=["x"]) == "two"
    assert llm.prompts == ["first", "second"]
    assert llm.calls[1]["stop"] == ["x"]


async def test_async_and_streaming_by_words():
    llm = FakeLLM(responses=["a", "hello big  world"])
    assert await llm.ainvoke("p") == "a"
    chunks = [chunk async for chunk in llm.astream("q")]
    assert chunks == ["hello", " big", "  world"]
    assert "".join(chunks) == "hello big  world"


def test_sync_streaming():
    llm = FakeLLM(responses=[" lead and trail "])
    assert "".join(llm.stream("p")) == " lead and trail "


def test_running_out_is_a_clear_error():
    llm = FakeLLM(responses=["only"])
    llm.invoke("p1")
    with pytest.raises(FakeLLMExhausted, match="ran out of responses after 1 calls; last "
                                               "prompt: p2"):
        llm.invoke("p2")


COLANG = """
define user express greeting
  "hello"

define flow
  user express greeting
  bot express greeting

define bot express greeting
  "Hi!"
  "Hey!"
"""


def greeting_config():
    from rails.config import RailsConfig

    return RailsConfig.from_content(colang_content=COLANG)


def test_test_chat_runs_turns_and_checks_answers():
    from rails.testing import TestChat

    chat = TestChat(greeting_config(), llm_completions=["  express greeting",
                                                        "  express greeting"])
    chat >> "hello"
    chat << "Hi!"          # the first variant, every time
    chat.user("hello again").bot("Hi!")
    assert [m["role"] for m in chat.history] == ["user", "assistant", "user", "assistant"]
    assert len(chat.llm.prompts) == 2


def test_test_chat_reports_the_actual_answer():
    from rails.testing import TestChat

    chat = TestChat(greeting_config(), llm_completions=["  express greeting"])
    chat >> "hello"
    with pytest.raises(AssertionError, match="the bot said 'Hi!', expected 'Bye'"):
        chat << "Bye"


def test_test_chat_needs_a_user_message_first():
    from rails.testing import TestChat

    with pytest.raises(AssertionError, match="needs a user message first"):
        TestChat(greeting_config(), llm_completions=[]).bot("x")
