"""For the tool-call passthrough tests: a scripted OpenAI-compatible model endpoint on loopback
that answers with text or tool calls, whole or streamed as OpenAI streams them (the fake of
tests/choice answers whole only), records every request; and a real `dialog-rails serve`
process."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, Optional

import httpx
import pytest


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
        folder = tmp_path / "configs" / name
        folder.mkdir(parents=True, exist_ok=True)
        for file, text in files.items():
            (folder / file).parent.mkdir(parents=True, exist_ok=True)
            (folder / file).write_text(text)
        return folder
    return write


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`python -m rails serve ...` on a free loopback port; waits for /health."""

    def __init__(self, args: list[str]):
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rails", "serve", *args, "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("server exited:\n" + self.stop())
            try:
                if httpx.get(self.base_url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("server did not become healthy:\n" + self.stop())

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        output = self.process.stdout.read().decode(errors="replace")
        self.process.stdout.close()
        return output


@pytest.fixture
def serve():
    started: list[Server] = []

    def start(*args: str) -> Server:
        started.append(Server(list(args)))
        return started[-1]

    yield start
    for server in started:
        server.stop()
