"""Helpers for conversation tests: build an app from inline Colang/YAML and talk to it."""
from __future__ import annotations

import pytest

from rails import LLMRails, RailsConfig
from rails.testing import FakeLLM


# A config with no user messages at all runs in "general mode" (the LLM answers directly, no
# intents). Tests of dialog flows get one example so that intents are generated.
DIALOG_MODE = '''
define user say something unrelated
  "the sky is a color"
'''


def make_app(colang: str = "", yaml: str = "", responses=None, **kwargs) -> tuple:
    if colang and "define user" not in colang:
        colang += DIALOG_MODE
    config = RailsConfig.from_content(colang_content=colang, yaml_content=yaml or None)
    llm = FakeLLM(responses=list(responses or []))
    return LLMRails(config, llm=llm, **kwargs), llm


def say(app: LLMRails, *texts: str) -> list[str]:
    """Run one turn per text in one conversation; return the bot's answers."""
    messages, answers = [], []
    for text in texts:
        messages.append({"role": "user", "content": text})
        reply = app.generate(messages=messages)
        answers.append(reply["content"])
        messages.append(reply)
    return answers


def event_types(events: list[dict]) -> list[str]:
    return [event["type"] for event in events]


@pytest.fixture
def app_factory():
    return make_app


@pytest.fixture
def talk():
    return say
