"""Helpers for the `dialog-rails check` tests: the command run as a real subprocess (config
folders come from the shared `write_config` fixture)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_check() -> Callable[..., subprocess.CompletedProcess]:
    def run(*paths) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "rails", "check", *map(str, paths)],
                              capture_output=True, text=True, timeout=60, cwd=REPO)

    return run
