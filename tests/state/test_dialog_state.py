"""The dialog state through the Python API: a conversation continues from `state` in another
LLMRails (another process, after a restart) exactly as in the one that began it, and a history
that arrives without the state it needs ends the turn through the error path, never with an
exception out of generate()."""
from __future__ import annotations

import json
import logging

import pytest

from rails import LLMRails, RailsConfig
from rails.errors import FlowEvaluationError, StateError

FLOWS = """
define user start counting
  "start"

define user count up
  "more"

define user ask total
  "total"

define bot report count
  "The count is $n."

define bot report total
  "The count is $n after $turns messages."

define flow start
  user start counting
  $n = 0
  bot report count

define flow count
  user count up
  $n = $n + 1
  bot report count

define flow total
  user ask total
  $turns = execute count_user_turns
  bot report total
"""

YAML = """
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.99
      embeddings_only_fallback_intent: say something else
"""

FALLBACK = "I'm sorry, an internal error has occurred."


async def count_user_turns(events: list) -> int:
    return sum(1 for event in events if event["type"] == "UtteranceUserActionFinished")


def _rails(flows: str = FLOWS) -> LLMRails:
    app = LLMRails(RailsConfig.from_content(colang_content=flows, yaml_content=YAML))
    app.register_action(count_user_turns, "count_user_turns")
    return app


def _say(app: LLMRails, text: str, state: dict) -> tuple[str, dict]:
    result = app.generate(messages=[{"role": "user", "content": text}], state=state)
    return result.response[0]["content"], result.state


def test_a_conversation_continues_in_another_instance_from_its_json_state():
    first = _rails()
    replies, state = [], {}
    for text in ("start", "more", "more"):
        reply, state = _say(first, text, state)
        replies.append(reply)
    assert state["dialog"]["v"] == 1
    # What a client or a store would keep: plain JSON.
    carried = json.loads(json.dumps(state))
    second = _rails()  # stands for another process: it never saw this conversation
    for text in ("more", "total"):
        reply, carried = _say(second, text, carried)
        replies.append(reply)
    assert replies == ["The count is 0.", "The count is 1.", "The count is 2.",
                       "The count is 3.", "The count is 3 after 5 messages."]


def test_the_events_alone_are_enough_but_the_dialog_state_saves_the_refold(monkeypatch):
    first = _rails()
    state = {}
    for text in ("start", "more"):
        _, state = _say(first, text, state)
    events_only = {"events": json.loads(json.dumps(state["events"]))}
    assert _say(_rails(), "more", events_only)[0] == "The count is 2."

    second = _rails()
    folded = []
    original = second.runtime.engine.fold
    monkeypatch.setattr(second.runtime.engine, "fold",
                        lambda st, event: (folded.append(event["type"]), original(st, event)))
    assert _say(second, "more", json.loads(json.dumps(state)))[0] == "The count is 2."
    # Only this turn's events were folded, not the history's.
    assert folded.count("UtteranceUserActionFinished") == 1


def test_a_state_made_with_other_flows_is_rebuilt_from_its_events():
    _, state = _say(_rails(), "start", {})
    edited = FLOWS.replace('  "more"', '  "more"\n  "one more"')  # same flows: kept
    changed = FLOWS + '\ndefine flow greet\n  user express greeting\n  bot express greeting\n'
    for flows in (edited, changed):
        assert _say(_rails(flows), "more", json.loads(json.dumps(state)))[0] == \
            "The count is 1."


def test_a_malformed_dialog_state_is_a_clear_error():
    _, state = _say(_rails(), "start", {})
    app = _rails()
    for dialog, words in (({"v": 99}, "format 99"), ("nonsense", "str"),
                          ({**state["dialog"], "flows": [["x"]]}, "malformed"),
                          ({**state["dialog"], "context": []}, "`context` must be an object")):
        with pytest.raises(StateError, match=words):
            app.generate(messages=[{"role": "user", "content": "more"}],
                         state={"events": state["events"], "dialog": dialog})
    assert issubclass(StateError, ValueError)  # the server answers 400


def test_a_history_without_the_variables_it_needs_ends_with_the_fallback(caplog):
    app = _rails()  # never saw the first turn: `$n` is missing
    history = [{"role": "user", "content": "start"},
               {"role": "assistant", "content": "The count is 0."},
               {"role": "user", "content": "more"}]
    with caplog.at_level(logging.ERROR, logger="rails"):
        assert app.generate(messages=history) == {"role": "assistant", "content": FALLBACK}
    errors = app.explain().errors
    assert errors and "$n + 1" in errors[0].message and "NoneType" in errors[0].message
    assert any("$n + 1" in record.getMessage() for record in caplog.records)
    # The conversation goes on: starting again works.
    again = history + [{"role": "assistant", "content": FALLBACK},
                       {"role": "user", "content": "start"}]
    assert app.generate(messages=again)["content"] == "The count is 0."


def test_an_edited_bot_message_continues_from_the_last_turn_it_did_not_touch():
    app = _rails()
    history = [{"role": "user", "content": "start"}]
    history.append(app.generate(messages=history))
    history.append({"role": "user", "content": "more"})
    history.append(app.generate(messages=history))
    history[-1] = {"role": "assistant", "content": "The count is one (edited)."}
    history.append({"role": "user", "content": "more"})
    # The state after "start" is the last one the history still matches; the edited turn
    # counts as plain messages, so this "more" counts from 0 again.
    assert app.generate(messages=history)["content"] == "The count is 1."


def test_raise_errors_still_raises_the_cause():
    app = _rails()
    with pytest.raises(FlowEvaluationError, match=r"\$n \+ 1"):
        app.generate(messages=[{"role": "user", "content": "more"}],
                     options={"raise_errors": True})


def test_a_missing_variable_reads_as_none():
    flows = FLOWS + """
define user ask name
  "name"

define flow name
  user ask name
  if $name is None
    bot say unknown
  else
    bot say known

define bot say unknown
  "I do not know your name."

define bot say known
  "I know your name."
"""
    assert _rails(flows).generate(messages=[{"role": "user", "content": "name"}])["content"] == \
        "I do not know your name."
