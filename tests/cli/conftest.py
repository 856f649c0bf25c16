"""Helpers for the CLI tests: `python -m rails ...` as a subprocess, plain or on a pty."""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
STORE_SUPPORT = ROOT / "config_examples" / "store_support"


def _env(home: Path) -> dict:
    # A private HOME keeps the readline history file out of the real one.
    return {**os.environ, "HOME": str(home), "PYTHONUNBUFFERED": "1", "TERM": "dumb"}


@pytest.fixture
def store_support() -> Path:
    return STORE_SUPPORT


@pytest.fixture
def run_cli(tmp_path):
    def run(*args: str, stdin: Optional[str] = None, timeout: float = 60):
        return subprocess.run([sys.executable, "-m", "rails", *args], input=stdin,
                              capture_output=True, text=True, timeout=timeout,
                              env=_env(tmp_path), cwd=tmp_path)
    return run


class PtySession:
    """A child process whose stdin/stdout/stderr are a pseudo-terminal, as in a real shell."""

    def __init__(self, args: list[str], home: Path):
        import pty

        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([sys.executable, "-m", "rails", *args], stdin=slave,
                                        stdout=slave, stderr=slave, env=_env(home),
                                        cwd=home, close_fds=True, start_new_session=True)
        os.close(slave)
        self.output = ""

    def read_until(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{text!r} did not appear; output so far:\n{self.output}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    data = b""
                if not data:
                    raise AssertionError(f"terminal closed before {text!r}:\n{self.output}")
                self.output += data.decode(errors="replace").replace("\r\n", "\n")
        found = self.output.index(text) + len(text)
        consumed, self.output = self.output[:found], self.output[found:]
        return consumed

    def send(self, data: str) -> None:
        os.write(self.master, data.encode())

    def wait(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout=timeout)
        os.close(self.master)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


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
