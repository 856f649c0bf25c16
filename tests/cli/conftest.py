"""Helpers for the CLI tests: `python -m rails ...` as a subprocess, plain or on a pty."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from tests.pty_session import PtySession, cli_env

ROOT = Path(__file__).resolve().parents[2]
STORE_SUPPORT = ROOT / "config_examples" / "store_support"


@pytest.fixture
def store_support() -> Path:
    return STORE_SUPPORT


@pytest.fixture
def run_cli(tmp_path):
    def run(*args: str, stdin: Optional[str] = None, timeout: float = 60):
        return subprocess.run([sys.executable, "-m", "rails", *args], input=stdin,
                              capture_output=True, text=True, timeout=timeout,
                              env=cli_env(tmp_path), cwd=tmp_path)
    return run


@pytest.fixture
def pty_session(tmp_path):
    sessions: list[PtySession] = []

    def start(*args: str) -> PtySession:
        sessions.append(PtySession(list(args), tmp_path))
        return sessions[-1]

    yield start
    for session in sessions:
        session.kill()


MODEL_ANSWER = "Trails are open from dawn to dusk."


@pytest.fixture
def model_config(tmp_path) -> Path:
    """A general-mode config whose model is a fake OpenAI-compatible server on loopback
    (stdlib http.server) that always answers MODEL_ANSWER; yields the config folder."""
    import http.server
    import json
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            data = json.dumps({
                "id": "x", "object": "chat.completion", "created": 0, "model": "fake",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": MODEL_ANSWER}}],
                "usage": {"prompt_tokens": 30, "completion_tokens": 8, "total_tokens": 38},
            }).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = tmp_path / "hiking"
    folder.mkdir()
    (folder / "config.yml").write_text(f"""\
models:
  - type: main
    engine: openai
    model: fake-model
    parameters:
      base_url: http://127.0.0.1:{server.server_address[1]}/v1
      api_key: not-needed
      stream_usage: false
instructions:
  - type: general
    content: You answer questions of the hiking club.
""")
    yield folder
    server.shutdown()
    server.server_close()


@pytest.fixture
def model_answer() -> str:
    return MODEL_ANSWER
