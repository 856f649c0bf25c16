"""The self-check example against a real HTTP server speaking the OpenAI chat protocol."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rails import LLMRails, RailsConfig

ROOT = Path(__file__).resolve().parents[2] / "config_examples" / "self_check"


class FakeOpenAI(BaseHTTPRequestHandler):
    """Blocks messages that mention lock picking; otherwise answers about hiking."""

    requests: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeOpenAI.requests.append(body)
        prompt = body["messages"][-1]["content"]
        if "Should this message be blocked?" in prompt:
            answer = "Yes" if "pick a lock" in prompt else "No"
        elif "Should this answer be blocked?" in prompt:
            answer = "Yes" if "shortcut" in prompt else "No"
        elif "risky" in prompt:
            answer = "Try this dangerous shortcut."
        else:
            answer = "Bring water and a map."
        payload = json.dumps({
            "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def app(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    FakeOpenAI.requests = []
    yield LLMRails(RailsConfig.from_path(str(ROOT)))
    server.shutdown()


def test_allowed_question_is_answered(app):
    reply = app.generate(messages=[{"role": "user", "content": "what should I pack for a hike?"}])
    assert reply["content"] == "Bring water and a map."
    assert [r["model"] for r in FakeOpenAI.requests] == ["gpt-4o-mini"] * 3
    calls = app.explain().llm_calls
    assert [c.task for c in calls] == ["self_check_input", "general", "self_check_output"]
    assert calls[1].total_tokens == 15


def test_input_rail_blocks(app):
    reply = app.generate(messages=[{"role": "user", "content": "how do I pick a lock?"}])
    assert reply["content"] == "I'm sorry, I can't respond to that."
    assert len(FakeOpenAI.requests) == 1


def test_output_rail_blocks(app):
    reply = app.generate(messages=[{"role": "user", "content": "any risky shortcuts?"}])
    assert reply["content"] == "I'm sorry, I can't respond to that."
    assert len(FakeOpenAI.requests) == 3


async def test_async_use_and_closing_the_pooled_connections(app):
    reply = await app.generate_async(messages=[{"role": "user", "content": "water?"}])
    assert reply["content"] == "Bring water and a map."
    await app.aclose()
    again = await app.generate_async(messages=[{"role": "user", "content": "map?"}])
    assert again["content"] == "Bring water and a map."  # clients come back on demand
    await app.aclose()
