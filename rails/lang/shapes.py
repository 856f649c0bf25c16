"""Memoizing statement lines by shape: `user ask about refunds` and `user greet the bot` are
parsed by lark once as `user _ꙮ1 _ꙮ2 _ꙮ3` / `user _ꙮ1 _ꙮ2 _ꙮ3` ... and the words put back.

Lark stays the parser of record: it parses every shape, and the structure it finds depends only
on keywords and punctuation, which are kept. Only plain words (identifiers: letters, digits
after the first character, `_`) that are not words of the grammar are replaced, by placeholders that are word
characters themselves (so look-aheads like `with \\w+=` see a word where there was one).
A line whose shape does not parse is parsed as it is, so error messages are never about shapes.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from rails.lang.grammar import LineSyntaxError, grammar_path, parse_line
from rails.lang.statements import Statement

_MARK = "\ua66e"
_PLACEHOLDER = re.compile(r"_\ua66e(\d+)")
_MARKS = [f"_{_MARK}{i}" for i in range(64)]
_restorers: dict[str, Callable[[list[str]], Any]] = {}
# Statements whose lines contain no expression (placeholders are not valid in expressions).
_SHAPED = frozenset(("user", "bot", "define", "when", "else", "do", "event", "run", "label",
                     "checkpoint", "goto"))
_keywords: frozenset | None = None
_exact: dict[str, Statement] = {}
_EXACT_LIMIT = 50_000


def keywords() -> frozenset:
    """Every word of the grammar file outside comments: keywords, and words inside terminal
    regexes (`with`, `for`, `as`, modifiers...). A superset is safe; it only shares less."""
    global _keywords
    if _keywords is None:
        words: set[str] = set()
        for line in grammar_path().read_text(encoding="utf-8").splitlines():
            code = line.split("//", 1)[0]
            words.update(re.findall(r"[A-Za-z][A-Za-z-]*", code))
        _keywords = frozenset(words)
    return _keywords


def parse_statement(text: str) -> Statement:
    """Like `parse_line(text, "statement")`, memoized by exact text and by shape."""
    found = _exact.get(text)
    if found is not None:
        return found
    words = text.split(" ")
    first = words[0]
    if first not in _SHAPED or ('"' in text and '"' in text.replace('""', "")) or \
            (first == "else" and words[1:2] == ["if"]) or (first == "do" and "$" in text):
        return parse_line(text, "statement")
    keep = _keywords or keywords()
    originals: list[str] = []
    shaped: list[str] = [first]
    for word in words[1:]:
        if word.isidentifier() and word not in keep:
            shaped.append(_MARKS[len(originals)] if len(originals) < len(_MARKS)
                          else f"_{_MARK}{len(originals)}")
            originals.append(word)
        else:
            shaped.append(word)
    if not originals:
        return parse_line(text, "statement")
    shape = " ".join(shaped)
    restorer = _restorers.get(shape)
    if restorer is None:
        try:
            template = parse_line(shape, "statement")
        except LineSyntaxError:
            return parse_line(text, "statement")
        restorer = _restorers[shape] = _restorer(template) or (lambda originals: template)
    statement = restorer(originals)
    if len(_exact) >= _EXACT_LIMIT:
        _exact.clear()
    _exact[text] = statement
    return statement


def clear() -> None:
    _exact.clear()
    _restorers.clear()


def _restorer(value: Any) -> Callable[[list[str]], Any] | None:
    """A function rebuilding `value` with the original words, or None if `value` has no
    placeholder (then it is shared: statements are read-only, elements are copied on use)."""
    kind = type(value)
    if kind is str:
        if _MARK not in value:
            return None
        escaped = value.replace("{", "{{").replace("}", "}}")
        fmt = _PLACEHOLDER.sub(lambda match: "{" + match.group(1) + "}", escaped)
        return lambda originals: fmt.format(*originals)
    if kind is dict:
        items = [(k, _restorer(k), v, _restorer(v)) for k, v in value.items()]
        if all(rk is None and rv is None for _, rk, _, rv in items):
            return None
        return lambda o: {(rk(o) if rk else k): (rv(o) if rv else v) for k, rk, v, rv in items}
    if kind is list:
        parts = [(item, _restorer(item)) for item in value]
        if all(r is None for _, r in parts):
            return None
        return lambda o: [r(o) if r else item for item, r in parts]
    if kind is Statement:
        fields = _restorer({k: v for k, v in value.__dict__.items() if k != "kind"})
        if fields is None:
            return None
        statement_kind = value.kind
        return lambda o: Statement(statement_kind, **fields(o))
    return None
