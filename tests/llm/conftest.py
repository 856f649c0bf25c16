"""Helpers for the LLM layer tests: configs from YAML text and hand-built event lists."""
from __future__ import annotations

import json
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


# -- a tiny OpenAI-compatible server on loopback ---------------------------------------------

class FakeOpenAIServer:
    """Answers POST /v1/chat/completions and /v1/completions. `reply` sets the next answer:
    ("json", status, body_dict_or_text) or ("sse", [chunk dicts]). Requests are recorded."""

    def __init__(self):
        self.requests: list[dict] = []
        self.reply = ("json", 200, {})
        self.replies: list = []  # used first, one per request, before `reply`
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append({"path": self.path, "body": body,
                                        "headers": dict(self.headers)})
                reply = server.replies.pop(0) if server.replies else server.reply
                kind = reply[0]
                if kind == "json":
                    _, status, payload = reply
                    data = payload if isinstance(payload, str) else json.dumps(payload)
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data.encode())))
                    self.end_headers()
                    self.wfile.write(data.encode())
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for chunk in reply[1]:
                        line = chunk if isinstance(chunk, str) else json.dumps(chunk)
                        self.wfile.write(f"data: {line}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def openai_server():
    server = FakeOpenAIServer()
    yield server
    server.close()


def chat_answer(text: str, usage=(7, 3)) -> dict:
    return {"id": "x", "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                      "total_tokens": usage[0] + usage[1]}}


@pytest.fixture
def chat_answer_factory():
    return chat_answer
