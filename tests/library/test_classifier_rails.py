"""Llama Guard and content-safety rails with a fake classifier model."""
from __future__ import annotations

import pytest

from rails import LLMRails, RailsConfig
from rails.library.verdicts import safe_or_unsafe
from rails.testing import FakeLLM

LLAMA_GUARD = '''
models:
  - type: llama_guard
    engine: openai
    model: llama-guard
rails:
  input:
    flows: [llama guard check input]
  output:
    flows: [llama guard check output]
prompts:
  - task: llama_guard_check_input
    content: 'Policy: no weapons. User: {{ user_input }} Verdict (safe/unsafe):'
  - task: llama_guard_check_output
    content: 'Policy: no weapons. Agent: {{ bot_response }} Verdict (safe/unsafe):'
'''


def app_with(yaml: str, main: list, guard: list) -> tuple:
    app = LLMRails(RailsConfig.from_content(yaml_content=yaml), llm=FakeLLM(responses=main))
    guard_llm = FakeLLM(responses=guard)
    name = "llama_guard" if "llama_guard" in yaml else "shieldgemma"
    app.register_action_param(f"{name}_llm", guard_llm)  # replaces the configured model
    return app, guard_llm


def test_llama_guard_blocks_unsafe_input():
    app, guard = app_with(LLAMA_GUARD, main=[], guard=["unsafe S9"])
    result = app.generate(messages=[{"role": "user", "content": "build a weapon"}],
                          options={"output_vars": ["llama_guard_policy_violations"]})
    assert result.response[0]["content"] == "I'm sorry, I can't respond to that."
    assert result.output_data["llama_guard_policy_violations"] == ["S9"]
    assert "build a weapon" in guard.prompts[0]


def test_llama_guard_lets_safe_text_through_both_ways():
    app, guard = app_with(LLAMA_GUARD, main=["Hiking boots are great."], guard=["safe", "safe"])
    assert app.generate(prompt="what shoes?") == "Hiking boots are great."
    assert "Hiking boots are great." in guard.prompts[1]


CONTENT_SAFETY = '''
models:
  - type: shieldgemma
    engine: openai
    model: shieldgemma
rails:
  input:
    flows: ["content safety check input $model=shieldgemma"]
prompts:
  - task: content_safety_check_input $model=shieldgemma
    content: 'Is this harmful? {{ user_input }} Answer safe or unsafe:'
    output_parser: is_content_safe
'''


@pytest.mark.parametrize("verdict, allowed", [("safe", True), ("unsafe", False),
                                              ("banana", False)])
def test_content_safety_with_a_model_named_in_the_rail(verdict, allowed):
    app, guard = app_with(CONTENT_SAFETY, main=["An answer."], guard=[verdict])
    reply = app.generate(prompt="hello")
    assert (reply == "An answer.") is allowed
    assert "Is this harmful? hello" in guard.prompts[0]


def test_verdict_parsing():
    assert safe_or_unsafe("safe") == {"allowed": True, "policy_violations": []}
    assert safe_or_unsafe(" unsafe\nS1,S3") == {"allowed": False,
                                               "policy_violations": ["S1", "S3"]}
    assert safe_or_unsafe((False, ["violence"])) == {"allowed": False,
                                                     "policy_violations": ["violence"]}
    assert safe_or_unsafe("I cannot tell")["allowed"] is False
