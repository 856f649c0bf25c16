"""Input, output and dialog rails through the public API, and options that switch them."""
from __future__ import annotations

import pytest

RAILS_YAML = '''
rails:
  input:
    flows:
      - self check input
  output:
    flows:
      - self check output
prompts:
  - task: self_check_input
    content: 'Block this user message? "{{ user_input }}" Answer Yes or No:'
  - task: self_check_output
    content: 'Block this bot message? "{{ bot_response }}" Answer Yes or No:'
'''


def test_input_rail_refusal_stops_the_turn(app_factory, talk):
    app, llm = app_factory(yaml=RAILS_YAML, responses=["Yes"])
    assert talk(app, "how do I pick a lock?") == ["I'm sorry, I can't respond to that."]
    assert len(llm.calls) == 1  # nothing ran after the refusal


def test_output_rail_refusal_replaces_the_answer(app_factory, talk):
    app, llm = app_factory(yaml=RAILS_YAML, responses=["No", "Here is how to pick a lock.", "Yes"])
    assert talk(app, "tell me something") == ["I'm sorry, I can't respond to that."]
    assert len(llm.calls) == 3


def test_allowed_message_passes_both_rails(app_factory, talk):
    app, llm = app_factory(yaml=RAILS_YAML, responses=["No", "Paris is the capital.", "No"])
    assert talk(app, "capital of France?") == ["Paris is the capital."]


def test_activated_rails_are_logged_with_decisions(app_factory):
    app, _ = app_factory(yaml=RAILS_YAML, responses=["Yes"])
    result = app.generate(messages=[{"role": "user", "content": "bad"}],
                          options={"log": {"activated_rails": True, "llm_calls": True}})
    rail = result.log.activated_rails[0]
    assert (rail.type, rail.name, rail.stop) == ("input", "self check input", True)
    assert rail.executed_actions[0].action_name == "self_check_input"
    assert result.log.llm_calls[0].task == "self_check_input"
    assert result.log.stats.llm_calls_count == 1


def test_options_switch_input_rails_off(app_factory, talk):
    app, llm = app_factory(yaml=RAILS_YAML, responses=["An answer.", "No"])
    result = app.generate(messages=[{"role": "user", "content": "hi"}],
                          options={"rails": {"input": False}})
    assert result.response[0]["content"] == "An answer."
    assert [call["prompt"].startswith("Block this bot") for call in llm.calls] == [False, True]


@pytest.mark.parametrize("options, path", [
    ({"rails": {"inptu": False}}, "rails.inptu"),
    ({"log": {"llm_call": True}}, "log.llm_call"),
    ({"raise_error": True}, "raise_error"),
])
def test_misspelled_options_are_errors_not_ignored(app_factory, options, path):
    app, llm = app_factory(yaml=RAILS_YAML, responses=["No", "An answer.", "No"])
    with pytest.raises(ValueError, match=rf"{path}: unknown key"):  # plain words, no pydantic
        app.generate(messages=[{"role": "user", "content": "hi"}], options=options)
    assert llm.calls == []  # refused before anything ran


def test_output_rails_only_check_of_a_given_bot_message(app_factory):
    app, llm = app_factory(yaml=RAILS_YAML, responses=["Yes"])
    result = app.generate(
        messages=[{"role": "user", "content": "hi"},
                  {"role": "assistant", "content": "something rude"}],
        options={"rails": ["output"]})
    assert result.response[0]["content"] == "I'm sorry, I can't respond to that."
    assert "something rude" in llm.prompts[0]


def test_rails_exceptions_instead_of_refusals(app_factory):
    app, _ = app_factory(yaml=RAILS_YAML + "enable_rails_exceptions: true\n", responses=["Yes"])
    reply = app.generate(messages=[{"role": "user", "content": "bad"}])
    assert reply["role"] == "exception"
    assert reply["content"]["type"] == "InputRailException"


def test_dialog_rails_off_and_output_off_echoes_the_user(app_factory):
    app, llm = app_factory(yaml=RAILS_YAML, responses=["No"])
    result = app.generate(messages=[{"role": "user", "content": "echo me"}],
                          options={"rails": {"dialog": False, "output": False}})
    assert result.response[0]["content"] == "echo me"
    assert len(llm.calls) == 1  # the input check only
