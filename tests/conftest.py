"""Shared fixtures. Area-specific fixtures live in each tests/<area>/conftest.py."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

from tests.folders import write_files

ROOT = Path(__file__).resolve().parent.parent

# The suite's configs were written against the lexical index's scores; tests of the semantic
# engines (tests/index/test_semantic*.py) choose their engine themselves. Child processes
# (CLI, servers) inherit the choice.
os.environ.setdefault("DIALOG_RAILS_EMBEDDING_ENGINE", "lexical")


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def examples_dir() -> Path:
    return ROOT / "config_examples"


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """write_config({"config.yml": "...", "rails/a.co": "..."}, name="cfg") -> folder path.
    Texts are dedented, so tests can indent them."""

    def write(files: dict[str, str], name: str = "cfg") -> Path:
        return write_files(tmp_path / name, files)

    return write


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server on a free port, or a skip that says why (a failure in CI, where
    .ci/run installs it)."""
    import shutil
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    binary = shutil.which("redis-server")
    if binary is None:
        reason = "no redis-server binary on PATH: the Redis store is not tested against a " \
                 "real server here"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set: install redis-server)")
        print(reason, file=sys.stderr)
        pytest.skip(reason)
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)
