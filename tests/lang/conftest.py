"""Helpers for the rails.lang tests: parse snippets and strip bookkeeping keys."""
from __future__ import annotations

import textwrap

import pytest

from rails.errors import ColangSyntaxError
from rails.lang import parse


def _strip(element: dict) -> dict:
    return {k: v for k, v in element.items() if k != "_source_mapping"}


@pytest.fixture
def flow():
    """`flow("user a", "bot b")` -> the compiled elements of a flow with that body."""
    def build(*body: str, header: str = "define flow test") -> list[dict]:
        text = header + "\n" + "\n".join("  " + line for line in body) + "\n"
        doc = parse(text, "test.co")
        assert len(doc.flows) == 1
        return [_strip(element) for element in doc.flows[0]["elements"]]
    return build


@pytest.fixture
def doc():
    def build(text: str, path: str = "test.co"):
        return parse(textwrap.dedent(text), path)
    return build


@pytest.fixture
def syntax_error():
    """`syntax_error(text)` -> the ColangSyntaxError that parsing `text` raises."""
    def build(text: str) -> ColangSyntaxError:
        with pytest.raises(ColangSyntaxError) as info:
            parse(textwrap.dedent(text), "bad.co")
        return info.value
    return build


def utter(value: str, **params) -> dict:
    return {"_type": "run_action", "action_name": "utter",
            "action_params": {"value": value, **params}}


def user(name: str, **params) -> dict:
    return {"_type": "UserIntent", "intent_name": name, "intent_params": params}


@pytest.fixture
def shapes():
    return {"utter": utter, "user": user}


@pytest.fixture(autouse=True)
def private_cache_dir(tmp_path, monkeypatch):
    """Every test gets an empty on-disk parse cache, so no result comes from an earlier run."""
    monkeypatch.setenv("DIALOG_RAILS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DIALOG_RAILS_NO_CACHE", raising=False)
    return tmp_path / "cache"
