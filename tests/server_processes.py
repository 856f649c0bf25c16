"""Real server processes for the tests: `python -m rails <command> ...` on a free loopback
port, ready once `/health` answers, stopped with everything it printed. One helper for the
chat server (`serve`) and the actions server (`actions-server`), shared by every suite."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Iterable, Optional

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`python -m rails <command> <args> --port <port>` (stdout and stderr together, read
    by `stop()`). `unset`: environment variables the child must not inherit. `token`: the
    bearer token clients send (`headers`), for servers started with one."""

    def __init__(self, args: Iterable[str], port: Optional[int] = None,
                 env: Optional[dict] = None, command: str = "serve", prefix: str = "", *,
                 unset: Iterable[str] = (), token: Optional[str] = None):
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}{prefix}"
        self.url = self.base_url
        self.args, self.env, self.command = list(args), env, command
        self.unset = tuple(unset)
        self.token = token
        self.headers = {"authorization": f"Bearer {token}"} if token else {}
        self.process: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 30.0) -> "ServerProcess":
        env = {key: value for key, value in os.environ.items() if key not in self.unset}
        env.update(self.env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rails", self.command, *self.args, "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise AssertionError(f"{self.command} exited with {code}:\n{self.stop()}")
            try:
                if httpx.get(self.base_url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.command} did not answer /health within {timeout:g}s:\n"
                             f"{self.stop()}")

    def stop(self) -> str:
        """Ends the process (if it still runs); what it printed."""
        if self.process is None:
            return ""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        output = self.process.stdout.read().decode(errors="replace")
        self.process.stdout.close()
        self.process = None
        return output


def start_actions_server(*args: str, token: Optional[str] = None, env: Optional[dict] = None,
                         port: Optional[int] = None, timeout: float = 30.0) -> ServerProcess:
    """`python -m rails actions-server <args> --log-level warning`, with `--token token` when
    given; the token of the test's environment (DIALOG_RAILS_ACTIONS_TOKEN) is not
    inherited, so only what the test asks for applies."""
    command = [*args, "--log-level", "warning", *(["--token", token] if token else [])]
    return ServerProcess(command, port=port, env=env, command="actions-server",
                         unset=("DIALOG_RAILS_ACTIONS_TOKEN",), token=token).start(timeout)
