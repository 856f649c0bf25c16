"""Expressions parse to marshal-able trees that the disk cache keeps with their document, so a
process starting from the cache compiles them without lark (rails/lang/expressions.py)."""
from __future__ import annotations

import marshal

import pytest

from rails import lang
from rails.lang import compile_expression, grammar, parse
from rails.lang.expressions import Expression, build
from rails.lang.grammar import parse_expression

EXPRESSIONS = [
    # operators and precedence
    "$a + 1", "$a - 2 * 3", "($a + 1) * 2", "2 ** 3 ** 2", "-2 ** 2", "$a // 2", "$a % 3",
    "$a / 2", "~$a", "6 & 3 | 8 ^ 1", "1 << 3 >> 1", "0x1f + 1_000", "1.5e1", "+$a",
    "2 ** 99999999", "'a' * 100000000", "$a + 'x'", "1 << 99999",
    # comparisons, and/or/not, conditionals
    "1 < $a < 10", "3 > $a > 2", "$a == 5 != 6", "$none is None", "$a is not None",
    "'ell' in $s", "'z' not in $s", "not $a", "$a and $s", "$none or 0 or 'x'",
    "$a > 1 and not $none", "1 if $none else 2", "'big' if $a > 3 else 'small'",
    # subscripts, slices, attributes, calls
    "$b[0]", "$b[-1]", "$b[1:]", "$b[:2]", "$b[::-1]", "$b[0:3:2]", "$d['k']", "$d.k",
    "$d.nested.x", "$d.missing", "$d.get('k')", "$d.keys", "$s.lower()",
    "$s.split('l', 1)", "$s.replace(old='l', new='L')", "len($b)", "len($s) > 3",
    "$b[5]", "$a()", "$s.missing",
    # literals and displays
    "None", "True", "False", "'plain'", '"dq"', "'a' 'b'", "b'raw'", "r'\\n'", "'a\\nb'",
    "[1, $a]", "(1, $a)", "(1,)", "()", "[]", "{}", "{'k': $a, 'l': [1, 2]}",
    # f-strings and `$x` inside strings (quirk R6)
    "f'cost {$price}'", "f'{$n:>3}|{$n!r}'", "f'{{literal}} {$a + 1} {$d.k}'",
    "f'{$b[0]:05d}'", "'a' f'{$a}' 'b'", "f''", "\"cost $price\"", "'$a and $s'",
    "f'$a is {$a}'",
]
CONTEXT = {"a": 5, "b": [1, 2, 3], "s": "Hello", "d": {"k": 1, "nested": {"x": 2}},
           "price": 3, "n": "a", "none": None}


def _outcome(evaluate):
    """The value, or the type and message of the error: what must not change."""
    try:
        return "value", evaluate(dict(CONTEXT))
    except Exception as error:  # noqa: BLE001 (any failure is an outcome to compare)
        return "error", type(error).__name__, str(error)


def _document(texts: list[str]) -> str:
    """A flow assigning every expression, and one testing it (the two element kinds whose
    expressions are written differently in the flow: `$x = ...` and `if ...`)."""
    lines = ["define flow expressions"]
    for index, text in enumerate(texts):
        lines += [f"  $v{index} = {text}", f"  if {text}", "    bot fine"]
    lines += ["  do $subflow_name", "define flow other", "  while $i < 3", "    $i = $i + 1"]
    return "\n".join(lines) + "\n"


def _expression_texts(document) -> list[str]:
    return [element["expression"] for flow in document.flows for element in flow["elements"]
            if "expression" in element]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_trees_are_plain_marshal_able_data(text):
    tree = parse_expression(text)
    assert marshal.loads(marshal.dumps(tree)) == tree


def test_trees_from_the_disk_cache_evaluate_like_freshly_parsed_ones():
    text = _document(EXPRESSIONS)
    texts = _expression_texts(parse(text, "expressions.co"))
    assert set(EXPRESSIONS) <= set(texts)
    fresh = {t: _outcome(Expression(t, build(parse_expression(t))).evaluate)
             for t in texts + ["$subflow_name"]}

    lang.clear_cache()  # what a new process starts with: only the disk cache is left
    before = grammar.stats["lark_parses"]
    parse(text, "expressions.co")
    cached = {t: _outcome(compile_expression(t).evaluate) for t in fresh}
    assert grammar.stats["lark_parses"] == before  # neither the document nor an expression
    assert cached == fresh
    # Errors name the expression, as they always did.
    assert cached["$a + 'x'"] == ("error", "ExpressionError", (
        "TypeError: unsupported operand type(s) for +: 'int' and 'str' (in `$a + 'x'`)"))
    assert cached["2 ** 99999999"][2] == "power 2 ** 99999999 is too large (in `2 ** 99999999`)"


def test_compiled_trees_keep_the_semantics():
    values = {text: _outcome(compile_expression(text).evaluate) for text in EXPRESSIONS}
    assert values["1 < $a < 10"] == ("value", True)
    assert values["$none or 0 or 'x'"] == ("value", "x")
    assert values["$b[::-1]"] == ("value", [3, 2, 1])
    assert values["$d.missing"] == ("value", None)
    assert values["$s.replace(old='l', new='L')"][0] == "error"  # str.replace takes no keywords
    assert values["f'{{literal}} {$a + 1} {$d.k}'"] == ("value", "{literal} 6 1")
    assert values["'a' f'{$a}' 'b'"] == ("value", "a5b")
    assert values["\"cost $price\""] == ("value", "cost var_price")
    assert values["f'$a is {$a}'"] == ("value", "var_a is 5")
    assert values["'a' * 100000000"][2].startswith("the repetition would be about 100,000,000 bytes")


def test_blocked_names_stay_blocked_when_a_tree_is_built():
    """Trees from the cache are built with the same checks as parsed ones."""
    with pytest.raises(ValueError, match="not allowed"):
        build(("attribute", ("var", "a"), "__class__"))
    evaluate = build(("call", ("attribute", ("const", "{0}"), "join"), (("var", "f"),), ()))
    assert evaluate({"f": ["x"]}) == "x"


def test_a_cached_document_gives_the_trees_of_its_do_variables_and_loops():
    text = _document(["$a"])
    parse(text, "do.co")
    lang.clear_cache()
    before = grammar.stats["lark_parses"]
    parse(text, "do.co")
    for expression in ("$subflow_name", "$i < 3", "$i + 1"):
        compile_expression(expression)
    assert grammar.stats["lark_parses"] == before


def test_events_named_like_expression_elements_are_stored_as_they_are():
    text = 'define flow f\n  event if(expression=[1])\n  event flow(flow_name="$x y")\n'
    first = parse(text, "events.co").flows
    lang.clear_cache()
    assert parse(text, "events.co").flows == first
