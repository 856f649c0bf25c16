"""LLMRails.check / check_async: input and output rails on given messages, no dialog."""
from __future__ import annotations

import asyncio

import pytest

from rails import LLMRails, RailsConfig
from rails.actions import action
from rails.errors import RailTypeNotConfiguredError
from rails.rails.llm.options import RailsResult, RailStatus, RailType
from rails.testing import FakeLLM

CONFIG_YML = """
models: []
rails:
  input:
    flows: [self check input, mask secrets]
  output:
    flows: [self check output]
prompts:
  - task: self_check_input
    content: "Should this user message be blocked? {{ user_input }}"
  - task: self_check_output
    content: "Should this bot message be blocked? {{ bot_response }}"
"""
FLOWS = """
define user express greeting
  "hello"

define bot express greeting
  "Hello from the dialog!"

define flow greeting
  user express greeting
  bot express greeting

define subflow mask secrets
  $user_message = execute mask_secrets(text=$user_message)
"""


@action()
async def mask_secrets(text: str) -> str:
    return text.replace("hunter2", "*******")


def verdicts(prompt: str) -> str:
    """The fake model blocks messages that mention 'bomb' (input) or 'insult' (output)."""
    if "Should this user message" in prompt:
        return "Yes" if "bomb" in prompt else "No"
    if "Should this bot message" in prompt:
        return "Yes" if "insult" in prompt else "No"
    return "  express greeting"  # the dialog's intent prompt


@pytest.fixture
def app_and_llm():
    llm = FakeLLM(respond=verdicts)
    app = LLMRails(RailsConfig.from_content(colang_content=FLOWS, yaml_content=CONFIG_YML),
                   llm=llm)
    app.register_action(mask_secrets)
    return app, llm


def test_user_message_runs_input_rails_only(app_and_llm):
    app, llm = app_and_llm
    result = app.check([{"role": "user", "content": "hello"}])
    assert result == RailsResult(status=RailStatus.PASSED, content="hello")
    # One call for the one LLM rail: no intent, no dialog, no generation.
    assert [call["prompt"] for call in llm.calls] == [
        "Should this user message be blocked? hello"]


def test_blocked_input_names_the_rail_and_gives_the_refusal(app_and_llm):
    app, llm = app_and_llm
    result = app.check([{"role": "user", "content": "how to build a bomb"}])
    assert result.status is RailStatus.BLOCKED
    assert result.rail == "self check input"
    assert result.content == "I'm sorry, I can't respond to that."
    assert len(llm.calls) == 1  # the masking rail after it never ran


def test_modified_input(app_and_llm):
    app, _ = app_and_llm
    result = app.check([{"role": "user", "content": "my password is hunter2"}])
    assert result == RailsResult(status=RailStatus.MODIFIED,
                                 content="my password is *******")


def test_user_and_assistant_run_both_kinds(app_and_llm):
    app, llm = app_and_llm
    result = app.check([{"role": "user", "content": "hi"},
                        {"role": "assistant", "content": "you are an insult"}])
    assert result.status is RailStatus.BLOCKED
    assert result.rail == "self check output"
    assert [call["prompt"].split("?")[0] for call in llm.calls] == [
        "Should this user message be blocked", "Should this bot message be blocked"]

    passed = app.check([{"role": "user", "content": "hi"},
                        {"role": "assistant", "content": "Hello there"}])
    assert passed == RailsResult(status=RailStatus.PASSED, content="Hello there")


def test_assistant_only_runs_output_rails(app_and_llm):
    app, llm = app_and_llm
    result = app.check([{"role": "assistant", "content": "Hello there"}])
    assert result.status is RailStatus.PASSED
    assert [call["prompt"] for call in llm.calls] == [
        "Should this bot message be blocked? Hello there"]


def test_rail_types_choose_the_rails(app_and_llm):
    app, llm = app_and_llm
    messages = [{"role": "user", "content": "a bomb"}, {"role": "assistant", "content": "ok"}]
    result = app.check(messages, rail_types=[RailType.OUTPUT])
    assert result == RailsResult(status=RailStatus.PASSED, content="ok")
    assert len(llm.calls) == 1
    result = app.check(messages, rail_types=[RailType.INPUT])
    assert result.status is RailStatus.BLOCKED and result.rail == "self check input"


def test_a_type_without_rails_is_an_error():
    app = LLMRails(RailsConfig.from_content(yaml_content="models: []\nrails:\n  input:\n"
                                                         "    flows: [mask secrets]\n",
                                            colang_content=FLOWS), llm=FakeLLM())
    with pytest.raises(RailTypeNotConfiguredError, match="'output' has no configured rails"):
        app.check([{"role": "assistant", "content": "x"}], rail_types=[RailType.OUTPUT])
    with pytest.raises(ValueError):  # NeMo users catch it as a ValueError too
        app.check([{"role": "assistant", "content": "x"}], rail_types=["output"])


def test_no_user_or_assistant_message_passes(app_and_llm, caplog):
    app, llm = app_and_llm
    result = app.check([{"role": "system", "content": "be nice"}])
    assert result == RailsResult(status=RailStatus.PASSED, content="be nice")
    assert not llm.calls
    assert "nothing to check" in caplog.text


def test_output_check_needs_the_answer_last(app_and_llm):
    app, _ = app_and_llm
    with pytest.raises(ValueError, match="must then be an assistant message"):
        app.check([{"role": "user", "content": "hi"}], rail_types=[RailType.OUTPUT])


def test_bad_messages_are_rejected(app_and_llm):
    app, _ = app_and_llm
    with pytest.raises(ValueError, match="non-empty list"):
        app.check([])


async def test_check_async_runs_concurrently(app_and_llm):
    app, _ = app_and_llm
    results = await asyncio.gather(*(app.check_async([{"role": "user", "content": text}])
                                     for text in ("hello", "a bomb", "hunter2")))
    assert [r.status for r in results] == [RailStatus.PASSED, RailStatus.BLOCKED,
                                           RailStatus.MODIFIED]


def test_check_leaves_conversations_alone(app_and_llm):
    """A check is not a turn of any conversation: the dialog still answers afterwards."""
    app, _ = app_and_llm
    app.check([{"role": "user", "content": "hello"}])
    reply = app.generate(messages=[{"role": "user", "content": "hello"}],
                         options={"rails": {"input": False, "output": False}})
    assert reply.response[0]["content"] == "Hello from the dialog!"


def test_nemo_documented_example_after_the_import_change(app_and_llm):
    """NeMo's check example (docs: "Check API"), `nemoguardrails` -> `rails`."""
    from rails.rails.llm.options import RailStatus as Status

    rails, _ = app_and_llm
    result = rails.check([{"role": "user", "content": "how to build a bomb"}])
    if result.status == Status.BLOCKED:
        message = f"Blocked by: {result.rail}"
    assert message == "Blocked by: self check input"
    output = rails.check(messages=[{"role": "user", "content": "Hello!"},
                                   {"role": "assistant", "content": "Hi there!"}])
    assert output.status == Status.PASSED


def test_rails_exceptions_count_as_blocked():
    config = RailsConfig.from_content(yaml_content="""
models: []
enable_rails_exceptions: true
rails:
  input:
    flows: [self check input]
prompts:
  - task: self_check_input
    content: "Block? {{ user_input }}"
""")
    app = LLMRails(config, llm=FakeLLM(responses=["Yes"]))
    result = app.check([{"role": "user", "content": "x"}])
    assert result.status is RailStatus.BLOCKED
    assert result.rail == "self check input"
    assert "self check input" in result.content
