"""For the tool-call passthrough tests: a scripted OpenAI-compatible model endpoint on loopback
that answers with text or tool calls, whole or streamed as OpenAI streams them (the fake of
tests/choice answers whole only), records every request; and a real `dialog-rails serve`
process (tests/server_processes.py)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, Optional

import pytest

from tests.folders import write_files
from tests.server_processes import ServerProcess


def text_reply(text: str) -> dict:
    return {"role": "assistant", "content": text}


def tool_reply(*calls: tuple, text: Optional[str] = None) -> dict:
    """calls: (id, name, arguments as a dict)."""
    return {"role": "assistant", "content": text, "tool_calls": [
        {"id": call_id, "type": "function",
         "function": {"name": name, "arguments": json.dumps(args)}}
        for call_id, name, args in calls]}


def _stream_chunks(message: dict) -> list[dict]:
    """The message as OpenAI streams it: content word by word, then for each call a first
    piece with index, id, type and name, and its arguments in two pieces."""
    deltas: list[dict] = [{"role": "assistant", "content": ""}]
    for word in (message.get("content") or "").split(" "):
        if word:
            deltas.append({"content": word + " "})
    for index, call in enumerate(message.get("tool_calls") or ()):
        arguments = call["function"]["arguments"]
        middle = len(arguments) // 2
        deltas.append({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                       "function": {"name": call["function"]["name"],
                                                    "arguments": ""}}]})
        for piece in (arguments[:middle], arguments[middle:]):
            deltas.append({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    chunks = [{"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
              for delta in deltas]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    chunks.append({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2,
                                            "total_tokens": 7}})
    return chunks


class ScriptedModel:
    """Answers each chat request with the next scripted message (`script`)."""

    def __init__(self):
        self.script: list[dict] = []
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length))
                fake.requests.append(body)
                message = fake.script.pop(0) if fake.script else text_reply("(no script)")
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    for chunk in _stream_chunks(message):
                        chunk.update({"id": "x", "object": "chat.completion.chunk",
                                      "created": 0, "model": body.get("model")})
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                answer = {"id": "x", "object": "chat.completion", "created": 0,
                          "model": body.get("model"),
                          "choices": [{"index": 0, "message": message,
                                       "finish_reason": "tool_calls"
                                       if message.get("tool_calls") else "stop"}],
                          "usage": {"prompt_tokens": 5, "completion_tokens": 2,
                                    "total_tokens": 7}}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    text = staticmethod(text_reply)
    tools = staticmethod(tool_reply)

    def yaml(self, extra: str = "") -> str:
        return (f"models:\n  - type: main\n    engine: openai\n    model: fake-model\n"
                f"    parameters: {{base_url: \"{self.url}\", api_key: unused}}\n"
                f"passthrough: true\n{extra}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


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
