"""Helpers for the LLM layer tests: configs from YAML text and hand-built event lists."""
from __future__ import annotations

import textwrap

import pytest

from rails.config import RailsConfig
from rails.events import new_event_dict


def make_config(yaml_text: str = "", **overrides):
    config = RailsConfig.from_content(yaml_content=textwrap.dedent(yaml_text) or "models: []")
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def user_message(text: str) -> dict:
    return new_event_dict("UserMessage", text=text)


def user_intent(intent: str, **extra) -> dict:
    return new_event_dict("UserIntent", intent=intent, **extra)


def bot_intent(intent: str, **extra) -> dict:
    return new_event_dict("BotIntent", intent=intent, **extra)


def bot_said(text: str) -> dict:
    return new_event_dict("StartUtteranceBotAction", script=text)


def start_action(name: str, result_key=None, **params) -> dict:
    return new_event_dict("StartInternalSystemAction", action_name=name, action_params=params,
                          action_result_key=result_key, is_system_action=True)


@pytest.fixture
def config_factory():
    return make_config


@pytest.fixture
def events():
    """Builders for event lists."""
    class Builders:
        user = staticmethod(user_message)
        intent = staticmethod(user_intent)
        bot = staticmethod(bot_intent)
        said = staticmethod(bot_said)
        action = staticmethod(start_action)
    return Builders
