"""`python -m rails ...` on a pseudo-terminal, as a person runs it in a shell."""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional


def cli_env(home: Path, env: Optional[dict] = None) -> dict:
    # A private HOME keeps the readline history file out of the real one.
    return {**os.environ, "HOME": str(home), "PYTHONUNBUFFERED": "1", "TERM": "dumb",
            **(env or {})}


class PtySession:
    """A child process whose stdin/stdout/stderr are a pseudo-terminal, as in a real shell."""

    def __init__(self, args: list[str], home: Path, env: Optional[dict] = None):
        import pty

        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([sys.executable, "-m", "rails", *args], stdin=slave,
                                        stdout=slave, stderr=slave, env=cli_env(home, env),
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
