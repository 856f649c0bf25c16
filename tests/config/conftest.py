"""Helpers for the config tests: write small config folders into tmp dirs."""
from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path
from typing import Callable

import pytest


def _lang_ready() -> bool:
    try:
        return importlib.util.find_spec("rails.lang") is not None and hasattr(
            __import__("rails.lang", fromlist=["parse"]), "parse")
    except ImportError:
        return False


@pytest.fixture
def colang_parser():
    """Tests that load `.co` files need the Colang parser (`rails.lang`, another layer)."""
    if not _lang_ready():
        pytest.skip("rails.lang.parse not available yet")
    import rails.lang

    return rails.lang


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
