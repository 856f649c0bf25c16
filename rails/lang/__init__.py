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
from rails.lang.expressions import (
    Expression,
    ExpressionError,
    compile_expression,
    remember_all,
    remembered_trees,
)
from rails.lang.value_limits import ExpressionLimitError

__all__ = ["parse", "compile_expression", "compile_coyml_flow", "ColangDocument",
           "Expression", "ExpressionError", "ExpressionLimitError", "clear_cache"]

_log = logging.getLogger("rails.lang")
# (path, text) -> (the document's data marshalled, the trees of its expressions by text).
# Unmarshalling hands every caller its own copy (callers may mutate flows) at C speed.
_documents: dict[tuple, tuple[bytes, dict]] = {}
_DOCUMENT_CACHE_LIMIT = 512
# Elements whose `expression` the runtime compiles (EXPRESSION_TYPES in runtime/flow_config.py).
_EXPRESSION_ELEMENTS = frozenset({"check", "if", "while", "set"})


def parse(text: str, path: str | None = None) -> ColangDocument:
    """Parses a Colang 1.0 text. Raises rails.errors.ColangSyntaxError naming file and line.

    A text that is not Colang 1.0 (spec §1.1, e.g. only comments) gives an empty document.
    Repeated calls with the same (path, text) return a fresh copy of the cached result; the
    result is also kept on disk between processes (see disk_cache.py), with the trees of its
    expressions, so that compiling them later needs no parser either.
    """
    key = (path, text)
    found = _documents.get(key)
    if found is not None:
        data_bytes, trees = found
        remember_all(trees)
        return ColangDocument(*marshal.loads(data_bytes))
    from rails.lang import disk_cache

    stored = disk_cache.load(path, text)
    if stored is not None:
        data, warnings, trees = stored
        for warning in warnings:
            _log.warning(warning)
        remember_all(trees)
        document = ColangDocument(*data)
        data_bytes = marshal.dumps(data)
    else:
        from rails.lang.parser import parse_document

        document, warnings = parse_document(text, path)
        data = (document.flows, document.user_messages, document.bot_messages,
                document.imports)
        data_bytes = marshal.dumps(data)
        trees = _expression_trees(document.flows)
        disk_cache.store(path, text, data, warnings, trees)
    if len(_documents) >= _DOCUMENT_CACHE_LIMIT:
        _documents.clear()
    _documents[key] = (data_bytes, trees)
    return document


def _expression_trees(flows: list[dict]) -> dict[str, tuple]:
    """text -> tree of every expression the runtime will compile from these flows: those of
    `if`/`while`/`set`/`check` elements and `do $name` flow names. Parsing just remembered
    them; one that is not remembered (an `event if` element, say) is left to the runtime."""
    texts = []
    for flow in flows:
        for element in flow["elements"]:
            kind = element["_type"]
            text = element.get("expression") if kind in _EXPRESSION_ELEMENTS else \
                element.get("flow_name") if kind == "flow" else None
            if isinstance(text, str):
                texts.append(text)
    return remembered_trees(texts)


def compile_coyml_flow(flow: dict) -> dict:
    """Compiles a CoYML flow (`{"id", "elements": [{"user": ...}, ...]}`); see coyml.py."""
    from rails.lang.coyml import compile_coyml_flow as compile_flow

    return compile_flow(flow)


def clear_cache() -> None:
    """Forgets parsed documents, memoized lines and compiled expressions: what a new
    process starts with (benchmarks and tests use it)."""
    from rails.lang import expressions, normalize, shapes
    from rails.lang.grammar import clear_cache as clear_lines

    _documents.clear()
    expressions.clear_cache()
    clear_lines()
    shapes.clear()
    normalize._memo.clear()
