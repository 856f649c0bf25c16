"""Helpers for the library rail tests."""
from __future__ import annotations

import textwrap

import pytest

from rails.config import RailsConfig

SELF_CHECK_PROMPTS = """
prompts:
  - task: self_check_input
    content: |
      Should this user message be blocked? Answer Yes or No.
      User message: "{{ user_input }}"
  - task: self_check_output
    content: |
      Should this bot message be blocked? Answer Yes or No.
      User: "{{ user_input }}"
      Bot: "{{ bot_response }}"
"""


@pytest.fixture
def self_check_config():
    def make(extra: str = "", colang: str = ""):
        return RailsConfig.from_content(
            colang_content=textwrap.dedent(colang) or None,
            yaml_content=textwrap.dedent(SELF_CHECK_PROMPTS) + textwrap.dedent(extra))
    return make
