"""A fake OpenAI-compatible endpoint on loopback: answers each chat request with the next
scripted reply (text, or tool calls) and records the requests."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest


def text_reply(text: str) -> dict:
    return {"role": "assistant", "content": text}


def tool_reply(*calls: tuple, thought: str | None = None) -> dict:
    """calls: (name, arguments dict or raw JSON text)"""
    return {"role": "assistant", "content": thought, "tool_calls": [
        {"id": f"call_{number}", "type": "function",
         "function": {"name": name, "arguments": args if isinstance(args, str)
                      else json.dumps(args)}}
        for number, (name, args) in enumerate(calls)]}


class FakeOpenAI:
    def __init__(self):
        self.script: list[dict] = []
        self.requests: list[dict] = []
        self.repeat_last = False
        self.delay = 0.0  # seconds each answer takes
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length))
                fake.requests.append(body)
                if fake.delay:
                    time.sleep(fake.delay)
                if fake.script:
                    message = fake.script.pop(0) if not (
                        fake.repeat_last and len(fake.script) == 1) else fake.script[0]
                else:
                    message = text_reply("(script exhausted)")
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

    @property
    def yaml(self) -> str:
        return model_yaml(self.url)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


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
