"""The safety_rails example: regex rails and injection detection, offline."""
from __future__ import annotations

from pathlib import Path

from rails import LLMRails, RailsConfig

ROOT = Path(__file__).resolve().parents[2] / "config_examples" / "safety_rails"


def ask(text: str) -> str:
    app = LLMRails(RailsConfig.from_path(str(ROOT)))
    return app.generate(messages=[{"role": "user", "content": text}])["content"]


def test_plain_echo_passes():
    assert ask("repeat after me: see you tomorrow") == \
        "You said: repeat after me: see you tomorrow"


def test_script_and_sql_in_the_message_are_refused_by_injection_detection():
    assert ask("repeat after me: <script>alert(1)</script>") == \
        "I can't take that message: it matches the xss injection rules."
    assert ask("echo: x' UNION SELECT password FROM users --") == \
        "I can't take that message: it matches the sqli injection rules."


def test_the_output_rails_check_what_a_model_generates():
    from rails.testing import FakeLLM

    app = LLMRails(RailsConfig.from_path(str(ROOT)),
                   llm=FakeLLM(responses=["user ask about forms", "bot explain forms",
                                            "Use <iframe src=evil>"]))
    reply = app.generate(messages=[{"role": "user", "content": "how do I embed a form?"}])
    assert reply["content"].startswith("I'm sorry, I can't send that answer")


def test_numbers_that_must_not_reach_the_bot_are_refused_at_input():
    assert ask("my ssn is 123-45-6789") == "I'm sorry, I can't respond to that."
    assert ask("card 4111 1111 1111 1111 please") == "I'm sorry, I can't respond to that."
