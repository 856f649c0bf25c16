"""Parsed documents are kept on disk between processes (rails/lang/disk_cache.py)."""
from __future__ import annotations

import rails.lang as lang
from rails.lang import grammar, parse

TEXT = 'define bot long\n  "first line\n  second line"\ndefine flow f\n  user zork\n  bot long\n'


def _entries(cache_dir):
    folder = cache_dir / "documents"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_parsed_document_is_reused_by_a_new_process(private_cache_dir):
    first = parse(TEXT, "disk.co")
    assert len(_entries(private_cache_dir)) == 1
    lang.clear_cache()  # what a new process starts with
    before = grammar.stats["lark_parses"]
    again = parse(TEXT, "disk.co")
    assert grammar.stats["lark_parses"] == before
    assert again.flows == first.flows and again.bot_messages == first.bot_messages


def test_warnings_are_replayed_from_the_cache(caplog):
    parse(TEXT, "warn.co")
    assert "first line" in caplog.text
    caplog.clear()
    lang.clear_cache()
    parse(TEXT, "warn.co")
    assert "only the first line of a multi-line message is kept" in caplog.text


def test_a_corrupt_entry_means_parsing_again(private_cache_dir):
    parse(TEXT, "corrupt.co")
    [entry] = _entries(private_cache_dir)
    entry.write_bytes(b"not marshal data")
    lang.clear_cache()
    assert parse(TEXT, "corrupt.co").flows[0]["id"] == "f"


def test_the_key_includes_path_and_text(private_cache_dir):
    parse(TEXT, "a.co")
    parse(TEXT, "b.co")
    parse(TEXT + "\n", "a.co")
    assert len(_entries(private_cache_dir)) == 3


def test_caching_can_be_disabled(private_cache_dir, monkeypatch):
    monkeypatch.setenv("DIALOG_RAILS_NO_CACHE", "1")
    parse(TEXT, "off.co")
    assert _entries(private_cache_dir) == []


def test_syntax_errors_are_not_cached(private_cache_dir):
    import pytest

    from rails.errors import ColangSyntaxError

    for _ in range(2):
        with pytest.raises(ColangSyntaxError):
            parse("define flow x\n  frobnicate\n", "bad.co")
    assert _entries(private_cache_dir) == []
