"""Parsed documents kept between processes, so start-up does not parse unchanged files.

Files live in `<cache dir>/documents/` (see `locations.cache_dir`; disabled by
`DIALOG_RAILS_NO_CACHE=1`), named by a SHA-256 of the parser's own source, the grammar, the
path and the text: any change to either gives a new key. Entries are marshalled (they hold
only dicts, lists, tuples, strings, numbers) and written atomically; a missing, unreadable or
corrupt entry just means parsing again. Warnings given while parsing are stored and replayed,
and the trees of the document's expressions are stored with it (text -> tree, see
expressions.build), so a process starting from the cache compiles them without lark.
"""
from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_MAX_ENTRIES = 1000
_version: bytes | None = None


def _parser_version() -> bytes:
    global _version
    if _version is None:
        from rails.lang.locations import grammar_path

        digest = hashlib.sha256(sys.version.encode())
        for source in sorted(Path(__file__).parent.glob("*.py")) + [grammar_path()]:
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
        _version = digest.digest()
    return _version


def _entry(path: str | None, text: str) -> str | None:
    from rails.lang.locations import cache_dir

    base = cache_dir()
    if base is None:
        return None
    digest = hashlib.sha256(_parser_version())
    digest.update((path or "").encode("utf-8", "surrogatepass") + b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return os.path.join(base, "documents", digest.hexdigest() + ".marshal")


def load(path: str | None, text: str) -> tuple[Any, list[str], dict] | None:
    """(document data, warnings, expression trees) stored for this exact text, or None."""
    entry = _entry(path, text)
    if entry is None:
        return None
    try:
        with open(entry, "rb") as handle:
            data, warnings, trees = marshal.loads(handle.read())
        return data, list(warnings), dict(trees)
    except FileNotFoundError:
        return None
    except Exception as error:  # corrupt or from another Python: parse again
        log.debug("ignoring unreadable parse cache entry %s: %r", entry, error)
        return None


def store(path: str | None, text: str, data: Any, warnings: list[str], trees: dict) -> None:
    entry = _entry(path, text)
    if entry is None:
        return
    folder = os.path.dirname(entry)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        temporary = f"{entry}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(marshal.dumps((data, warnings, trees)))
        os.replace(temporary, entry)
        _prune(folder)
    except (OSError, ValueError) as error:  # read-only disk, full disk: caching is optional
        log.debug("could not store parse cache entry %s: %r", entry, error)


def _prune(folder: str) -> None:
    """Keeps the folder bounded: drops the oldest half when it holds too many entries."""
    names = os.listdir(folder)
    if len(names) <= _MAX_ENTRIES:
        return
    paths = sorted((os.path.join(folder, name) for name in names), key=os.path.getmtime)
    for stale in paths[:len(paths) // 2]:
        try:
            os.remove(stale)
        except OSError:
            pass
