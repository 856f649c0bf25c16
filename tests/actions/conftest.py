"""Helpers for the action tests: a real actions server subprocess on a free loopback port."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, Optional

import httpx
import pytest

SERVED = Path(__file__).resolve().parent / "served"
STARTUP_SECONDS = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.port = process, port
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""


def start_actions_server(*extra: str, config: Path = SERVED, token: Optional[str] = None,
                         env: Optional[dict] = None) -> ServerProcess:
    """`python -m rails actions-server --config ...` on a free port, once /health answers."""
    port = free_port()
    command = [sys.executable, "-m", "rails", "actions-server", "--config", str(config),
               "--port", str(port), "--log-level", "warning", *extra]
    if token:
        command += ["--token", token]
    environment = dict(os.environ)
    environment.pop("DIALOG_RAILS_ACTIONS_TOKEN", None)  # only what the test asks for
    environment.update(env or {})
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=environment)
    server = ServerProcess(process, port)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"actions server exited with {process.returncode}: "
                               f"{server.stop()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=0.5).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    output = server.stop()
    raise RuntimeError(f"actions server did not answer /health within {STARTUP_SECONDS}s: "
                       f"{output}")


@pytest.fixture(scope="module")
def actions_server() -> Iterator[ServerProcess]:
    server = start_actions_server("--timeout", "1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def token_server() -> Iterator[ServerProcess]:
    server = start_actions_server(token="s3cret-token")
    yield server
    server.stop()
