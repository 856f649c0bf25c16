"""Hard limits: a runaway flow ends the turn with a clear error instead of hanging."""
from __future__ import annotations

import pytest

from rails.errors import RuntimeLimitError


def test_endless_loop_without_waiting_is_stopped(app_factory, talk):
    app, _ = app_factory('''
define flow spin
  user ask
  $i = 0
  while True
    $i = $i + 1
''', responses=["  ask"])
    assert talk(app, "go") == ["I'm sorry, an internal error has occurred."]
    error = app.explain().errors[0]
    assert error.type == "RuntimeLimitError" and "spin" in error.message
    assert "while" in error.message


def test_subflow_calling_itself_is_stopped(app_factory, talk):
    app, _ = app_factory('''
define flow
  user ask
  do recurse

define subflow recurse
  do recurse
''', responses=["  ask"])
    assert talk(app, "go") == ["I'm sorry, an internal error has occurred."]
    assert "subflows nested deeper" in app.explain().errors[0].message


def test_too_many_events_in_one_turn(app_factory):
    app, _ = app_factory('''
define flow chatter
  user ask
  $i = 0
  while $i < 1000
    $i = $i + 1
    bot tick

define bot tick
  "tick"
''', responses=["  ask", "  ask"])
    with pytest.raises(RuntimeLimitError, match="more than 300 events"):
        app.generate(messages=[{"role": "user", "content": "go"}],
                     options={"raise_errors": True})
    # Without raise_errors the turn ends with the fallback and the next turn works.
    reply = app.generate(messages=[{"role": "user", "content": "go"}])
    assert reply["content"].endswith("I'm sorry, an internal error has occurred.")
