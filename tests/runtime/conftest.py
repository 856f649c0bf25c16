"""Helpers for conversation tests: build an app from inline Colang/YAML and talk to it."""
from __future__ import annotations

import pytest

from rails import LLMRails, RailsConfig
from rails.testing import FakeLLM


def make_app(colang: str = "", yaml: str = "", responses=None, **kwargs) -> tuple:
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
