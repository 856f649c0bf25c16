"""Loads `colang.lark` once per process (lazily) and parses single logical lines with it.

Parsing is memoized by (start rule, text): real Colang repeats lines a lot (`stop`,
`bot refuse to respond`, `if not $allowed`, example strings in bodies), and a memoized line
costs a dictionary lookup instead of a lark parse. Results are immutable templates; the
document parser copies element templates before handing them out.
"""
from __future__ import annotations

import threading
from typing import Any

from rails.errors import ColangSyntaxError
from rails.lang.locations import cache_dir, grammar_path  # noqa: F401 (re-exported)
from rails.lang.statements import LineError, LineTransformer

_START_RULES = ["statement", "body_line", "param_line", "expression"]
_lock = threading.RLock()
_parser: Any = None
_cache: dict[tuple[str, str], Any] = {}
_CACHE_LIMIT = 50_000
# Counts lark parses (not cache hits); tests use it to prove that caching works.
stats = {"lark_parses": 0}


def _cache_file() -> str | bool:
    import os

    base = cache_dir()
    return os.path.join(base, "colang-grammar.lark-cache") if base else False


def get_parser() -> Any:
    """The lark parser, built once per process; lark checks the cached tables against a hash
    of the grammar and options and rebuilds them when the grammar changed."""
    global _parser
    if _parser is None:
        with _lock:
            if _parser is None:
                from lark import Lark

                _parser = Lark(grammar_path().read_text(encoding="utf-8"), parser="lalr",
                               lexer="contextual", start=_START_RULES,
                               transformer=LineTransformer(), maybe_placeholders=True,
                               propagate_positions=False, cache=_cache_file())
    return _parser


class LineSyntaxError(Exception):
    """A line the grammar rejects: message, 0-based column in the parsed text, hint."""

    def __init__(self, message: str, column: int | None, hint: str | None,
                 expected: frozenset = frozenset()):
        self.message, self.column, self.hint, self.expected = message, column, hint, expected
        super().__init__(message)


def parse_line(text: str, start: str = "statement") -> Any:
    """The statement (or body/param line, or expression tree) that `text` is.

    Raises LineSyntaxError (no location beyond the column; the caller knows the file/line).
    """
    key = (start, text)
    found = _cache.get(key)
    if found is not None:
        return found
    parser = _parser or get_parser()
    from lark.exceptions import UnexpectedInput

    stats["lark_parses"] += 1
    try:
        with _lock:  # the transformer is shared; lark parsers are not re-entrant across threads
            result = parser.parse(text, start=start)
    except LineError as error:
        raise LineSyntaxError(error.message, None, error.hint) from None
    except UnexpectedInput as error:
        raise _describe(error, text) from None
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[key] = result
    return result


def parse_expression(text: str) -> Any:
    """The tree of an expression (expressions.build); ColangSyntaxError (without file)
    when invalid."""
    try:
        return parse_line(text.strip(), "expression")
    except LineSyntaxError as error:
        raise ColangSyntaxError(f"invalid expression `{text}`: {error.message}",
                                column=None if error.column is None else error.column + 1,
                                line_text=text, hint=error.hint) from None


def clear_cache() -> None:
    _cache.clear()


def _describe(error: Any, text: str) -> LineSyntaxError:
    column = max(getattr(error, "column", 1) or 1, 1) - 1
    token = getattr(error, "token", None)
    expected = frozenset(getattr(error, "expected", None) or getattr(error, "allowed", None)
                         or ())
    if token is not None and getattr(token, "type", "") == "$END":
        found = "end of line"
        column = len(text)
    elif token is not None:
        found = f"`{token}`"
    else:
        found = f"`{text[column:column + 12]}`" if column < len(text) else "end of line"
    return LineSyntaxError(f"unexpected {found}", column, None, expected)
