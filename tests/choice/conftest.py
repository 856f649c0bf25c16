"""The fake OpenAI-compatible endpoint of tests/fake_openai.py, with the reply helpers and the
model section of these tests."""
from __future__ import annotations

import json
from typing import Iterator

import pytest

from tests.fake_openai import ScriptedOpenAI, text_reply


def tool_reply(*calls: tuple, thought: str | None = None) -> dict:
    """calls: (name, arguments dict or raw JSON text)"""
    return {"role": "assistant", "content": thought, "tool_calls": [
        {"id": f"call_{number}", "type": "function",
         "function": {"name": name, "arguments": args if isinstance(args, str)
                      else json.dumps(args)}}
        for number, (name, args) in enumerate(calls)]}


class FakeOpenAI(ScriptedOpenAI):
    text = staticmethod(text_reply)
    tools = staticmethod(tool_reply)

    def __init__(self):
        super().__init__(exhausted_text="(script exhausted)")

    @property
    def yaml(self) -> str:
        return model_yaml(self.url)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


def model_yaml(url: str) -> str:
    return f"""
models:
  - type: main
    engine: openai
    model: fake-model
    parameters: {{base_url: "{url}", api_key: unused}}
"""
