"""Parsing the `.co` files of a config and merging the results (spec §5.2).

The parse results are merged in REVERSE discovery order, as the reference does. Net effect for a
name defined in several files: for `define user` / `define bot` messages the first discovered
file wins; for flows the last discovered file's flow comes first in `config.flows`, and the
runtime keeps the first flow per id, so the last file's flow wins. Both cases are logged."""
from __future__ import annotations

import logging
from typing import Any, Optional, Sequence

from rails.config.files import read_text
from rails.config.join import join_config

log = logging.getLogger(__name__)


def parse_colang_file(path: str, text: Optional[str] = None) -> Any:
    """The ColangDocument of a file; `rails.lang.parse` caches by (path, text), so loading an
    unchanged folder again re-parses nothing. A text that is not Colang 1.0 (e.g. comments
    only) parses to an empty document. Syntax errors propagate as ColangSyntaxError."""
    from rails.lang import parse

    return parse(read_text(path) if text is None else text, path)


def merge_colang_documents(raw: dict[str, Any], documents: Sequence[Any],
                           files: Sequence[str]) -> None:
    """Join the documents' messages and flows into `raw`, last document first."""
    _warn_about_duplicates(documents, files)
    for document in reversed(documents):
        join_config(raw, {
            "user_messages": {k: list(v) for k, v in document.user_messages.items()},
            "bot_messages": {k: list(v) for k, v in document.bot_messages.items()},
            # Shallow copies: the parsed document is cached and shared between loads.
            "flows": [_copy_flow(flow) for flow in document.flows],
        })


def _copy_flow(flow: dict) -> dict:
    copied = dict(flow)
    if isinstance(copied.get("meta"), dict):
        copied["meta"] = dict(copied["meta"])
    return copied


def _warn_about_duplicates(documents: Sequence[Any], files: Sequence[str]) -> None:
    defined_in: dict[tuple[str, str], list[str]] = {}
    for document, file in zip(documents, files):
        names = [("user", name) for name in document.user_messages]
        names += [("bot", name) for name in document.bot_messages]
        names += [("flow", flow["id"]) for flow in document.flows if flow.get("id")]
        for key in dict.fromkeys(names):
            where = defined_in.setdefault(key, [])
            if file not in where:
                where.append(file)
    for (kind, name), where in defined_in.items():
        if len(where) < 2:
            continue
        listed = ", ".join(where)
        if kind == "flow":
            log.warning("flow '%s' is defined in %s; the definition in %s is used (for flows, "
                        "the file found last wins)", name, listed, where[-1])
        else:
            log.warning("'define %s %s' appears in %s; the definition in %s is used (for "
                        "messages, the file found first wins)", kind, name, listed, where[0])
