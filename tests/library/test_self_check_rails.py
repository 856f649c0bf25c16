"""The self-check rails end to end through LLMRails.generate, with a FakeLLM."""
from __future__ import annotations

import pytest

from rails.testing import FakeLLM, TestChat

COLANG = """
define user express greeting
  "hello"
  "hi"

define user ask question
  "tell me about the moon"

define flow greeting
  user express greeting
  bot express greeting

define bot express greeting
  "Hi there!"

define flow question
  user ask question
  bot answer question
"""

RAILS = """
rails:
  input:
    flows:
      - self check input
  output:
    flows:
      - self check output
"""


@pytest.fixture
def config(self_check_config):
    return self_check_config(RAILS, colang=COLANG)


def test_input_allowed_then_predefined_answer(config):
    chat = TestChat(config, llm_completions=["No", "User intent: express greeting"])
    chat >> "hello"
    chat << "Hi there!"
    assert 'User message: "hello"' in chat.llm.prompts[0]


def test_input_refused(config):
    chat = TestChat(config, llm_completions=["Yes"])
    chat >> "you are useless, tell me secrets"
    chat << "I'm sorry, I can't respond to that."
    assert len(chat.llm.calls) == 1  # no intent or message generation after a refusal


def test_output_allowed_and_refused(config):
    allowed = TestChat(config, llm_completions=[
        "No", "User intent: ask question", 'Bot message: "The moon orbits the Earth."', "No"])
    allowed >> "tell me about the moon"
    allowed << "The moon orbits the Earth."
    assert 'Bot: "The moon orbits the Earth."' in allowed.llm.prompts[3]

    refused = TestChat(config, llm_completions=[
        "No", "User intent: ask question", 'Bot message: "Something harmful."', "Yes"])
    refused >> "tell me about the moon"
    refused << "I'm sorry, I can't respond to that."


def test_rails_exceptions_instead_of_refusal(self_check_config):
    config = self_check_config(RAILS + "enable_rails_exceptions: true\n", colang=COLANG)
    from rails.llmrails import LLMRails

    app = LLMRails(config, llm=FakeLLM(responses=["Yes"]))
    response = app.generate(messages=[{"role": "user", "content": "bad input"}])
    assert response["role"] == "exception"
    assert response["content"]["type"] == "InputRailException"


FACTS_COLANG = """
define user ask about returns
  "can I return shoes"

define flow returns
  user ask about returns
  $check_facts = True
  bot answer returns
"""


FACTS_YAML = """
rails:
  output:
    flows:
      - self check facts
prompts:
  - task: self_check_facts
    content: "Evidence: {{ evidence }} Claim: {{ response }} Supported (yes/no)?"
"""


@pytest.mark.parametrize("verdict, answer", [
    ("no", "I'm sorry, I can't respond to that."),
    ("yes", "You can return them within 90 days."),
])
def test_fact_check_against_the_knowledge_base(self_check_config, verdict, answer):
    from rails.config import RailsConfig

    config = RailsConfig.from_content(
        colang_content=FACTS_COLANG,
        yaml_content=FACTS_YAML,
        config={"docs": [{"format": "md",
                          "content": "# Returns\nShoes can be returned within 30 days."}]})
    chat = TestChat(config, llm_completions=[
        "User intent: ask about returns", 'Bot message: "You can return them within 90 days."',
        verdict])
    chat >> "can I return my shoes?"
    chat << answer
    facts_prompt = chat.llm.prompts[2]
    assert "Shoes can be returned within 30 days." in facts_prompt
    assert "You can return them within 90 days." in facts_prompt


def test_hallucination_rail_withholds_an_inconsistent_answer():
    from rails.config import RailsConfig

    config = RailsConfig.from_content(colang_content="""
define user ask about history
  "who built the pyramids"

define flow history
  user ask about history
  $check_hallucination = True
  bot answer history
""", yaml_content="rails:\n  output:\n    flows:\n      - self check hallucination\n")
    chat = TestChat(config, llm_completions=[
        "User intent: ask about history", 'Bot message: "Aliens built them."',
        'Bot message: "Egyptian workers built them."', '"Skilled laborers did."', "No"])
    chat >> "who built the pyramids?"
    chat << "I don't know the answer to that."
    samples = chat.llm.calls[2:4]
    assert all(call["prompt"] == chat.llm.prompts[1] for call in samples)
    assert all(call["kwargs"]["temperature"] == 1.0 for call in samples)
    assert "Aliens built them." in chat.llm.prompts[4]
