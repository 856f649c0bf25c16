"""Helpers for the `dialog-rails check` tests: config folders in tmp dirs, the command run as a
real subprocess."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    def write(files: dict[str, str], name: str = "cfg") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        for rel, text in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write


@pytest.fixture
def run_check() -> Callable[..., subprocess.CompletedProcess]:
    def run(*paths) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "rails", "check", *map(str, paths)],
                              capture_output=True, text=True, timeout=60, cwd=REPO)

    return run


@pytest.fixture
def colang_parser():
    """Configs with `.co` files need the Colang parser (`rails.lang`, another layer)."""
    spec = importlib.util.find_spec("rails.lang")
    if spec is None or not hasattr(__import__("rails.lang", fromlist=["parse"]), "parse"):
        pytest.skip("rails.lang.parse not available yet")
