"""The custom-actions example: injected parameters and a param registered from config.py."""
from __future__ import annotations

from pathlib import Path

from rails import LLMRails, RailsConfig

ROOT = Path(__file__).resolve().parents[2] / "config_examples" / "custom_actions"


def test_exchange_rate_uses_config_and_registered_provider():
    app = LLMRails(RailsConfig.from_path(str(ROOT)))
    reply = app.generate(messages=[{"role": "user", "content": "what is the exchange rate for GBP?"}])
    assert reply["content"] == ("1 GBP is worth 1.1646 EUR (rates from the example rate table).")


def test_events_injection_counts_turns():
    app = LLMRails(RailsConfig.from_path(str(ROOT)))
    messages = []
    for text in ("hello", "how many messages have I sent?"):
        messages.append({"role": "user", "content": text})
        messages.append(app.generate(messages=messages))
    assert messages[-1]["content"] == "You have sent 2 messages so far."
