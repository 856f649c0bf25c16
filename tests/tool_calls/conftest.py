"""For the tool-call passthrough tests: the scripted OpenAI-compatible endpoint of
tests/fake_openai.py (text or tool calls, whole or streamed) with a passthrough model section,
and a real `dialog-rails serve` process (tests/server_processes.py)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Optional

import pytest

from tests.fake_openai import ScriptedOpenAI, text_reply
from tests.folders import write_files
from tests.server_processes import ServerProcess


def tool_reply(*calls: tuple, text: Optional[str] = None) -> dict:
    """calls: (id, name, arguments as a dict)."""
    return {"role": "assistant", "content": text, "tool_calls": [
        {"id": call_id, "type": "function",
         "function": {"name": name, "arguments": json.dumps(args)}}
        for call_id, name, args in calls]}


class ScriptedModel(ScriptedOpenAI):
    text = staticmethod(text_reply)
    tools = staticmethod(tool_reply)

    def yaml(self, extra: str = "") -> str:
        return (f"models:\n  - type: main\n    engine: openai\n    model: fake-model\n"
                f"    parameters: {{base_url: \"{self.url}\", api_key: unused}}\n"
                f"passthrough: true\n{extra}")


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModel]:
    model = ScriptedModel()
    yield model
    model.close()


@pytest.fixture
def config_folder(tmp_path):
    """write(name, {file: text}) -> the folder."""
    def write(name: str, files: dict) -> Path:
        return write_files(tmp_path / "configs" / name, files)
    return write


@pytest.fixture
def serve():
    started: list[ServerProcess] = []

    def start(*args: str) -> ServerProcess:
        started.append(ServerProcess(args).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()
