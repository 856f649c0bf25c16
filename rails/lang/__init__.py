"""The Colang 1.0 front end: text -> ColangDocument (flows as flat element lists).

    from rails.lang import parse, compile_expression
    doc = parse(text, path)            # cached in-process by (path, text)
    compile_expression("$a + 1").evaluate({"a": 1})

Statement syntax lives in `grammar/colang.lark` (parsed with lark, LALR); see
`rails/lang/README.md` for the design and for the behaviours that differ from NeMo's parser.
"""
from __future__ import annotations

import logging
import marshal

from rails.lang.document import ColangDocument
from rails.lang.expressions import Expression, ExpressionError, compile_expression

__all__ = ["parse", "compile_expression", "compile_coyml_flow", "ColangDocument",
           "Expression", "ExpressionError", "clear_cache"]

_log = logging.getLogger("rails.lang")
# (path, text) -> the document's data, marshalled: unmarshalling hands every caller its own
# copy (callers may mutate flows) at C speed.
_documents: dict[tuple, bytes] = {}
_DOCUMENT_CACHE_LIMIT = 512


def parse(text: str, path: str | None = None) -> ColangDocument:
    """Parses a Colang 1.0 text. Raises rails.errors.ColangSyntaxError naming file and line.

    A text that is not Colang 1.0 (spec §1.1, e.g. only comments) gives an empty document.
    Repeated calls with the same (path, text) return a fresh copy of the cached result; the
    result is also kept on disk between processes (see disk_cache.py).
    """
    key = (path, text)
    found = _documents.get(key)
    if found is not None:
        return ColangDocument(*marshal.loads(found))
    from rails.lang import disk_cache

    stored = disk_cache.load(path, text)
    if stored is not None:
        data, warnings = stored
        for warning in warnings:
            _log.warning(warning)
        document = ColangDocument(*data)
        data_bytes = marshal.dumps(data)
    else:
        from rails.lang.parser import parse_document

        document, warnings = parse_document(text, path)
        data = (document.flows, document.user_messages, document.bot_messages,
                document.imports)
        data_bytes = marshal.dumps(data)
        disk_cache.store(path, text, data, warnings)
    if len(_documents) >= _DOCUMENT_CACHE_LIMIT:
        _documents.clear()
    _documents[key] = data_bytes
    return document


def compile_coyml_flow(flow: dict) -> dict:
    """Compiles a CoYML flow (`{"id", "elements": [{"user": ...}, ...]}`); see coyml.py."""
    from rails.lang.coyml import compile_coyml_flow as compile_flow

    return compile_flow(flow)


def clear_cache() -> None:
    """Forgets parsed documents and memoized lines (benchmarks use it)."""
    from rails.lang import normalize, shapes
    from rails.lang.grammar import clear_cache as clear_lines

    _documents.clear()
    clear_lines()
    shapes.clear()
    normalize._memo.clear()
