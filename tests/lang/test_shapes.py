"""Shape memoization never changes what a line means: shaped parse == direct lark parse."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rails.errors import ColangSyntaxError
from rails.lang import grammar, shapes
from rails.lang.grammar import LineSyntaxError
from rails.lang.statements import Statement

WORDS = ["ask", "about", "with", "for", "as", "or", "user", "bot", "$x", "$y.z", "a=1", "b=$c",
         "(k=2)", "x(", ")", "flow", "test", "define", "and", "not", "in", "help", "...", "if",
         "else", "when", "event", "no", "do", "run", "label", "goto", "to", "True", "5", "v2",
         "x-y", "_z", "=", ",", '""', "is", "subflow", "parallel", "Refund", "café"]
STARTS = ["user", "bot", "define", "define flow", "define user", "define parallel", "when user",
          "else when user", "when bot", "do", "event", "run", "run $r =", "label", "checkpoint",
          "goto", "go to", "else when"]


def _plain(value):
    if isinstance(value, Statement):
        return (value.kind, {k: _plain(v) for k, v in value.__dict__.items()
                             if k not in ("kind", "evaluator")})
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _outcome(parse, text):
    try:
        return _plain(parse(text))
    except (LineSyntaxError, ColangSyntaxError):  # the latter: an invalid embedded expression
        return "error"


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(STARTS), st.lists(st.sampled_from(WORDS), max_size=6))
def test_shaped_and_direct_parses_agree(start, words):
    text = " ".join([start, *words])
    direct = _outcome(lambda t: grammar.parse_line(t, "statement"), text)
    assert _outcome(shapes.parse_statement, text) == direct
