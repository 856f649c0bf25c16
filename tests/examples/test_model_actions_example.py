"""config_examples/model_actions: the model chooses among the example's actions."""
from __future__ import annotations

import json

from rails import LLMRails, RailsConfig
from rails.testing import FakeLLM


def reply(text="", actions=()):
    return json.dumps({"thought": "private", "actions": list(actions), "text": text})


def test_the_example_lets_the_model_look_up_a_fare(examples_dir):
    config = RailsConfig.from_path(str(examples_dir / "model_actions"))
    llm = FakeLLM(responses=[
        "  ask about a trip",
        reply(actions=[{"name": "PRICE", "arguments": {"city": "Rome"}}]),
        reply("A flight to Rome costs 89 euros."),
    ])
    app = LLMRails(config, llm=llm)
    answer = app.generate(messages=[{"role": "user", "content": "help me plan a trip to Rome"}])
    assert answer["content"] == "A flight to Rome costs 89 euros."
    prompt = llm.prompts[1]
    assert "- find_fare: The cheapest fare to a city, in euros" in prompt
    assert "book_flight" not in prompt and "cancel_all_bookings" not in prompt
    assert '"fare_eur": 89' in llm.prompts[2]


def test_check_knows_choose_action(examples_dir):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "rails", "check",
                           str(examples_dir / "model_actions")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in done.stdout + done.stderr
