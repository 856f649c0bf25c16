"""Shared fixtures. Area-specific fixtures live in each tests/<area>/conftest.py."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def examples_dir() -> Path:
    return ROOT / "config_examples"
