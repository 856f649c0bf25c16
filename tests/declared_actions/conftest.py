"""Helpers for the declared-action tests: a fake OpenAI-compatible endpoint on loopback that
answers chat completions with canned texts (or HTTP errors, or slowly), and a real
`dialog-rails actions-server` process."""
from __future__ import annotations

import http.server
import json
import threading
import time
from typing import Optional

import pytest

from tests.folders import write_files
from tests.server_processes import ServerProcess, start_actions_server


# The declaration of seed 002's example, as its `curl` sends it.
SEED_DECLARATION = {
    "action_name": "summarize_document",
    "kind": "llm",
    "description": "Summarize a document in 3 bullet points",
    "template": "Summarize the following document in 3 bullet points:\n\n{{document_text}}",
    "model": "gpt-4",
    "max_tokens": 500,
    "outputKey": "summary",
}


class FakeChatEndpoint:
    """`POST /v1/chat/completions`: answers with the queued replies in order (then repeats
    the last one). A reply may be a string, `("status", code, body)` or `("sleep", seconds,
    text)`. Every request body is kept in `requests`."""

    def __init__(self) -> None:
        self.replies: list = []
        self.requests: list[dict] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                owner.requests.append(body)
                reply = owner._next()
                if isinstance(reply, tuple) and reply[0] == "status":
                    self._send(reply[1], reply[2].encode())
                    return
                if isinstance(reply, tuple) and reply[0] == "sleep":
                    time.sleep(reply[1])
                    reply = reply[2]
                answer = {"id": "x", "object": "chat.completion", "created": 0,
                          "model": body.get("model"),
                          "choices": [{"index": 0, "finish_reason": "stop", "message": {
                              "role": "assistant", "content": reply}}],
                          "usage": {"prompt_tokens": 21, "completion_tokens": 7,
                                    "total_tokens": 28}}
                self._send(200, json.dumps(answer).encode())

            def _send(self, status: int, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up
                    pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _next(self):
        if not self.replies:
            return "(no reply queued)"
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def prompts(self) -> list[str]:
        return [request["messages"][-1]["content"] for request in self.requests]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def chat_endpoint():
    endpoint = FakeChatEndpoint()
    yield endpoint
    endpoint.close()


@pytest.fixture
def models_yaml(chat_endpoint) -> str:
    """config.yml models: `main` (main-model) and `summarizer` (small-model), both served by
    the fake endpoint."""
    return models_text(chat_endpoint.base_url)


def models_text(base_url: str) -> str:
    return f"""\
models:
  - type: main
    engine: openai
    model: main-model
    parameters:
      base_url: {base_url}
      api_key: not-needed
      timeout: 5
  - type: summarizer
    engine: openai
    model: small-model
    parameters:
      base_url: {base_url}
      api_key: not-needed
"""


def start_served(*args: str, env: Optional[dict] = None) -> ServerProcess:
    """`dialog-rails actions-server <args>`, with `--no-auth` unless the args give a token."""
    return start_actions_server(*args, *([] if "--token" in args else ["--no-auth"]), env=env)


@pytest.fixture
def start_server():
    started: list[ServerProcess] = []

    def start(*args: str, env: Optional[dict] = None) -> ServerProcess:
        started.append(start_served(*args, env=env))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def redis_url(redis_server):
    """A private redis-server on a free port (the shared fixture of tests/conftest.py)."""
    return redis_server


@pytest.fixture(scope="session")
def support():
    """The helper classes, for module-scoped fixtures of the test files."""
    from types import SimpleNamespace

    return SimpleNamespace(start_served=start_served, FakeChatEndpoint=FakeChatEndpoint,
                           write_files=write_files)
