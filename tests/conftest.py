"""Shared fixtures. Area-specific fixtures live in each tests/<area>/conftest.py."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Callable

import pytest

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
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        for rel, text in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write
