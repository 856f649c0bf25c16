"""The offline store-support example: no model at all, answers from examples and actions.
It runs as users get it with `dialog-rails[semantic]`: with the embedded model, for which its
similarity threshold is calibrated."""
from __future__ import annotations

import pytest

from rails import LLMRails, RailsConfig


@pytest.fixture(scope="module")
def app():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "config_examples" / "store_support"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIALOG_RAILS_EMBEDDING_ENGINE", "default")
        rails = LLMRails(RailsConfig.from_path(str(root)))
        ask(rails, "hello")  # builds the indexes while the setting holds
    return rails


def ask(app, *texts):
    messages, answers = [], []
    for text in texts:
        messages.append({"role": "user", "content": text})
        reply = app.generate(messages=messages)
        messages.append(reply)
        answers.append(reply["content"])
    return answers


@pytest.mark.parametrize("question, expected", [
    ("hello", "Welcome to Juniper & Pine"),
    ("what are your opening hours?", "Monday to Saturday"),
    ("where is the store located?", "214 Alder Street"),
    ("how long does delivery take?", "3-5 business days"),
    ("is shipping free?", "free on orders over 75 USD"),
    ("I'd like to return my jacket", "within 60 days"),
    ("can I pay with PayPal?", "PayPal"),
    ("what size should I get?", "size chart"),
    ("is my tent covered by warranty?", "2-year warranty"),
    ("do you have gift cards?", "never expire"),
    ("what can you do?", "check an order's status"),
    ("thanks a lot", "You're welcome"),
    ("who will win the election?", "only able to help"),
    ("is REI cheaper?", "can't comment on other shops"),
    ("bye", "happy trails"),
])
def test_answers_from_examples(app, question, expected):
    assert expected in ask(app, question)[0]


def test_order_lookup_with_number(app):
    assert ask(app, "where is my order JP-1001?") == [
        "Order JP-1001: shipped. It left our warehouse yesterday and should arrive in 2 days."]


def test_order_lookup_asks_for_the_number_then_answers(app):
    answers = ask(app, "has my order shipped yet?", "it's JP-3003")
    assert "What's your order number?" in answers[0]
    assert answers[1].startswith("Order JP-3003: delivered.")


def test_unknown_order_number(app):
    assert "couldn't find an order" in ask(app, "track order JP-9999")[0]


def test_unrecognized_message_gets_the_fallback(app):
    assert ask(app, "purple monkey dishwasher quantum")[0].startswith("Sorry, I didn't get that")


def test_input_rail_blocks_abuse_before_any_dialog(app):
    result = app.generate(messages=[{"role": "user", "content": "you are useless"}],
                          options={"log": {"activated_rails": True}})
    assert result.response[0]["content"].startswith("Let's keep it friendly")
    rail = result.log.activated_rails[0]
    assert (rail.type, rail.name, rail.stop) == ("input", "block abusive language", True)
