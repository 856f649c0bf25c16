"""Generation modes through LLMRails: single call, embeddings-only intents, passthrough and
multi-step flow generation."""
from __future__ import annotations

from rails import LLMRails, RailsConfig
from rails.testing import FakeLLM

INTENTS = '''
define user ask opening hours
  "when are you open?"
  "what are your opening hours?"

define user express greeting
  "hello"
  "hi there"

define bot inform opening hours
  "We are open from 9 to 5."

define flow
  user ask opening hours
  bot inform opening hours

define flow
  user express greeting
  bot express greeting
'''


def test_embeddings_only_intents_need_no_model_call():
    yaml = '''
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.4
      embeddings_only_fallback_intent: express greeting
'''
    llm = FakeLLM(responses=['Bot message: "Hi!"'])
    app = LLMRails(RailsConfig.from_content(colang_content=INTENTS, yaml_content=yaml), llm=llm)
    reply = app.generate(messages=[{"role": "user", "content": "what are the opening hours?"}])
    assert reply["content"] == "We are open from 9 to 5."
    assert llm.calls == []
    # Below the threshold the fallback intent is used (its bot message is generated).
    reply = app.generate(messages=[{"role": "user", "content": "zebra xylophone"}])
    assert reply["content"] == "Hi!"
    assert len(llm.calls) == 1


def test_single_call_mode_predicts_intent_and_message_in_one_call():
    yaml = "rails:\n  dialog:\n    single_call:\n      enabled: true\n"
    completion = '  express greeting\nbot express greeting\n  "Hello, friend!"'
    llm = FakeLLM(responses=[completion])
    app = LLMRails(RailsConfig.from_content(colang_content=INTENTS, yaml_content=yaml), llm=llm)
    reply = app.generate(messages=[{"role": "user", "content": "hello"}])
    assert reply["content"] == "Hello, friend!"
    assert len(llm.calls) == 1
    assert app.explain().llm_calls[0].task == "generate_intent_steps_message"


def test_passthrough_sends_the_raw_conversation():
    llm = FakeLLM(responses=["Straight from the model."])
    app = LLMRails(RailsConfig.from_content(yaml_content="passthrough: true"), llm=llm)
    reply = app.generate(messages=[{"role": "user", "content": "first question"},
                                   {"role": "assistant", "content": "first answer"},
                                   {"role": "user", "content": "second question"}])
    assert reply["content"] == "Straight from the model."
    assert "second question" in llm.prompts[0] and "first answer" in llm.prompts[0]
    assert "conversation between a user" not in llm.prompts[0]  # no task prompt around it


def test_multi_step_generation_runs_a_generated_flow():
    yaml = "enable_multi_step_generation: true\n"
    colang = INTENTS + '''
define user ask for tips
  "any tips?"

define bot give tip
  "Drink water."

define bot give another tip
  "Wear a hat."
'''
    llm = FakeLLM(responses=["  ask for tips", "bot give tip\nbot give another tip"])
    app = LLMRails(RailsConfig.from_content(colang_content=colang, yaml_content=yaml), llm=llm)
    result = app.generate(messages=[{"role": "user", "content": "any tips?"}],
                          options={"log": {"internal_events": True}})
    assert result.response[0]["content"] == "Drink water.\nWear a hat."
    assert "start_flow" in [e["type"] for e in result.log.internal_events]
