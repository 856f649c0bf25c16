"""The self-check actions called directly (spec §6.6)."""
from __future__ import annotations

import pytest

from rails.errors import ActionError
from rails.library.self_check.actions import (self_check_facts, self_check_hallucination,
                                              self_check_input, self_check_output)
from rails.llm.call import LLMCallLog, current_call_log
from rails.llm.taskmanager import LLMTaskManager
from rails.testing import FakeLLM


def run_args(config, responses):
    return {"llm_task_manager": LLMTaskManager(config), "llm": FakeLLM(responses=responses),
            "config": config}


def test_actions_are_declared_like_the_reference():
    assert self_check_input.action_meta["is_system_action"] is True
    assert self_check_output.action_meta["is_system_action"] is True
    assert self_check_facts.action_meta["is_system_action"] is False
    assert self_check_hallucination.action_meta["is_system_action"] is False


async def test_input_allowed(self_check_config):
    args = run_args(self_check_config(), ["No"])
    assert await self_check_input(context={"user_message": "hi"}, **args) is True
    call = args["llm"].calls[0]
    assert 'User message: "hi"' in call["prompt"]
    assert call["kwargs"] == {"temperature": 0.001, "max_tokens": 3}


async def test_input_blocked_masks_the_message(self_check_config):
    args = run_args(self_check_config(), ["Yes, it is abusive"])
    result = await self_check_input(context={"user_message": "you idiot"}, **args)
    assert result.return_value is False
    [event] = result.events
    assert event["type"] == "mask_prev_user_message"
    assert event["intent"] == "unanswerable message"


async def test_input_unclear_answer_counts_as_blocked_and_is_logged(self_check_config, caplog):
    args = run_args(self_check_config(), ["Maybe", "No"])
    result = await self_check_input(context={"user_message": "x"}, **args)
    assert result.return_value is False
    [record] = [r for r in caplog.records if r.name == "rails.library.self_check"]
    assert record.levelname == "WARNING"
    assert "self_check_input: the model answered 'Maybe'" in record.getMessage()

    caplog.clear()
    assert await self_check_input(context={"user_message": "x"}, **args) is True
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


async def test_no_user_message_returns_none(self_check_config):
    args = run_args(self_check_config(), [])
    assert await self_check_input(context={}, **args) is None
    assert await self_check_output(context={"user_message": "x"}, **args) is None


async def test_prompt_stop_max_tokens_and_parser_are_used(self_check_config):
    config = self_check_config("""
    prompts:
      - task: self_check_output
        content: "verdict for {{ bot_response }}"
        stop: ["\\n"]
        max_tokens: 7
        output_parser: is_content_safe
    """)
    args = run_args(config, ["safe"])
    log = LLMCallLog()
    token = current_call_log.set(log)
    try:
        allowed = await self_check_output(
            context={"user_message": "u", "bot_message": "fine text"}, **args)
    finally:
        current_call_log.reset(token)
    assert allowed is True
    call = args["llm"].calls[0]
    assert call["prompt"] == "verdict for fine text"
    assert call["stop"] == ["\n"] and call["kwargs"]["max_tokens"] == 7
    assert log.calls[0].task == "self_check_output"


async def test_output_blocked(self_check_config):
    args = run_args(self_check_config(), ["Yes"])
    assert await self_check_output(context={"user_message": "u", "bot_message": "bad"},
                                   **args) is False


async def test_without_a_model_the_check_fails_clearly(self_check_config):
    args = run_args(self_check_config(), [])
    args["llm"] = None
    with pytest.raises(ActionError, match="self_check_input needs an LLM"):
        await self_check_input(context={"user_message": "hi"}, **args)


@pytest.mark.parametrize("answer, accuracy", [("yes", 1.0), ("No", 0.0)])
async def test_facts(self_check_config, answer, accuracy):
    args = run_args(self_check_config(), [answer])
    context = {"relevant_chunks": "Shipping is free.", "bot_message": "Shipping costs $5."}
    assert await self_check_facts(context=context, **args) == accuracy
    assert "Shipping is free." in args["llm"].prompts[0]


async def test_facts_without_evidence_pass_without_a_call(self_check_config):
    args = run_args(self_check_config(), [])
    assert await self_check_facts(context={"relevant_chunks": "\n", "bot_message": "x"},
                                  **args) == 1.0


async def test_facts_accepts_the_old_fact_checking_task_name(self_check_config):
    config = self_check_config("""
    prompts:
      - task: fact_checking
        content: "OLD {{ evidence }} / {{ response }}"
    """)
    args = run_args(config, ["yes"])
    await self_check_facts(context={"relevant_chunks": "e", "bot_message": "r"}, **args)
    assert args["llm"].prompts == ["OLD e / r"]


async def test_hallucination_samples_twice_at_temperature_one_then_compares(
        self_check_config):
    args = run_args(self_check_config(), ['"Paris"', '"Lyon"', "No"])
    context = {"bot_message": "The capital is Paris.", "_last_bot_prompt": "PROMPT"}
    assert await self_check_hallucination(context=context, **args) is True
    calls = args["llm"].calls
    assert [c["prompt"] for c in calls[:2]] == ["PROMPT", "PROMPT"]
    assert all(c["kwargs"]["temperature"] == 1.0 for c in calls[:2])
    assert "Paris. Lyon" in calls[2]["prompt"] and "The capital is Paris." in calls[2]["prompt"]


async def test_hallucination_agreeing_samples_and_missing_prompt(self_check_config):
    args = run_args(self_check_config(), ["Paris", "Paris", "Yes"])
    context = {"bot_message": "Paris.", "_last_bot_prompt": "PROMPT"}
    assert await self_check_hallucination(context=context, **args) is False
    assert await self_check_hallucination(context={"bot_message": "x"}, **args) is False


def test_library_flows_parse_with_the_expected_ids():
    from pathlib import Path

    import rails.lang

    import rails.library.self_check as package

    text = (Path(package.__file__).parent / "flows.co").read_text()
    document = rails.lang.parse(text, "flows.co")
    assert {flow["id"] for flow in document.flows} == {
        "self check input", "self check output", "self check facts",
        "self check hallucination", "hallucination warning"}
    assert document.bot_messages["refuse to respond"] == ["I'm sorry, I can't respond to that."]
