"""The choose-run loop under the one rule for time: each of its model calls (native tool calls
included) is bounded by `timeouts.llm`, while the loop as a whole has no action limit of its
own, only the turn's deadline. Deadlines are short, bounds generous."""
from __future__ import annotations

import time

from tests.choice.test_choose_native import app_for

FALLBACK = "I'm sorry, an internal error has occurred."


def test_a_tool_calling_model_past_timeouts_llm_ends_the_turn(write_config, fake_openai):
    fake_openai.delay = 3
    fake_openai.script = [fake_openai.text("too late")]
    app = app_for(write_config, fake_openai, extra_yaml="timeouts: {llm: 0.3}\n")
    started = time.monotonic()
    reply = app.generate(messages=[{"role": "user", "content": "help me"}])
    assert reply["content"] == FALLBACK
    assert time.monotonic() - started < 2.5
    errors = app.explain().errors
    assert [error.type for error in errors] == ["LLMTimeoutError"]
    assert "choose_action" in errors[0].message and "0.3 s (timeouts.llm)" in errors[0].message


def test_the_loop_is_not_cut_by_the_action_limit(write_config, fake_openai):
    # Two model calls of 0.25 s each: longer together than timeouts.action, each within llm.
    fake_openai.delay = 0.25
    fake_openai.script = [fake_openai.tools(("GET_WEATHER", {"city": "Oslo"})),
                          fake_openai.text("Sunny in Oslo.")]
    app = app_for(write_config, fake_openai,
                  extra_yaml="timeouts: {action: 0.3, llm: 5}\n")
    reply = app.generate(messages=[{"role": "user", "content": "help me"}])
    assert reply["content"] == "Sunny in Oslo."
