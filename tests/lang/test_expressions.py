"""The expression evaluator (spec §1.7, quirks R6 and F17)."""
from __future__ import annotations

import pytest

from rails.errors import ColangSyntaxError, FlowEvaluationError
from rails.lang import compile_expression


def ev(text, **context):
    return compile_expression(text).evaluate(context)


@pytest.mark.parametrize("text,value", [
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("2 ** 3 ** 2", 512), ("-2 ** 2", -4),
    ("7 // 2", 3), ("7 % 4", 3), ("7 / 2", 3.5), ("1 - 2 - 3", -4), ("~1", -2),
    ("6 & 3 | 8 ^ 1", 11), ("1 << 3 >> 1", 4), ("0x1f + 1_000", 1031), ("1.5e1", 15.0),
    ("not 1 == 2", True), ("1 < 2 < 3", True), ("3 > 2 > 2", False),
    ("1 if 0 else 2", 2), ("0 or '' or 5", 5), ("1 and 0 and 2", 0), ("None is None", True),
    ("1 is not None", True), ("'a' in 'cat'", True), ("'z' not in 'cat'", True),
    ("'ab' 'cd'", "abcd"), ("'a\\nb'", "a\nb"), ("True and not False", True),
    ("[1, 2, 3][1:]", [2, 3]), ("[1, 2, 3][::-1]", [3, 2, 1]), ("(1, 2)", (1, 2)),
    ("{'a': 1, 'b': [1, 2]}", {"a": 1, "b": [1, 2]}), ("[]", []), ("{}", {}), ("()", ()),
    ("len([1, 2])", 2), ("'Hi'.lower()", "hi"), ("'a,b'.split(',')", ["a", "b"]),
])
def test_operators_and_literals(text, value):
    assert ev(text) == value


def test_variables_missing_is_none_and_dicts_dot_access():
    assert ev("$missing") is None
    assert ev("$missing is None") is True
    context = {"user": {"name": "Al", "tags": [{"k": 1}], "nested": {"deep": 3}}}
    assert ev("$user.name", **context) == "Al"
    assert ev("$user.absent", **context) is None
    assert ev("$user.nested.deep", **context) == 3
    assert ev("$user.tags[0].k", **context) == 1
    assert ev("$user['name']", **context) == "Al"
    assert ev("$user.get('name')", **context) == "Al"
    assert ev("len($user.tags) > 0", **context) is True


def test_attribute_access_on_objects():
    class Rails:
        flows = ["a"]

    class Config:
        rails = Rails()

    assert ev("$config.rails.flows", config=Config()) == ["a"]
    with pytest.raises(FlowEvaluationError, match="no attribute 'missing'"):
        ev("$config.missing", config=Config())


def test_dollar_words_inside_strings_become_var_names():
    """Quirk R6, reproduced: the reference rewrites `$x` everywhere in the text."""
    assert ev('"cost $price"', price=3) == "cost var_price"
    assert ev("f'cost {$price}'", price=3) == "cost 3"
    assert ev("f'{$n:>3}|{$n!r}'", n="a") == "  a|'a'"


def test_list_and_dict_literals_with_variables():
    assert ev("[1, $a]", a=2) == [1, 2]
    assert ev("{'k': $a}", a=2) == {"k": 2}


@pytest.mark.parametrize("text", [
    "$a.__class__", "$a._private", "'{0}'.format(1)", "$a.mro()", "$a.func_globals",
])
def test_private_and_reflective_attributes_are_refused_at_compile_time(text):
    with pytest.raises(ColangSyntaxError):
        compile_expression(text)


@pytest.mark.parametrize("text", ["str(1)", "open('x')", "__import__('os')", "eval('1')",
                                  "foo + 1"])
def test_no_builtins_besides_len_and_no_bare_names(text):
    with pytest.raises(ColangSyntaxError, match="unknown name"):
        compile_expression(text)


def test_limits():
    with pytest.raises(FlowEvaluationError, match="too large"):
        ev("2 ** 99999999")
    with pytest.raises(FlowEvaluationError, match="over the limit of 10,000,000 bytes"):
        ev("'a' * 100000000")


def test_evaluation_errors_name_the_expression_and_keep_the_cause():
    with pytest.raises(FlowEvaluationError) as info:
        ev("$a + 1", a="x")
    assert "$a + 1" in str(info.value)
    assert isinstance(info.value.__cause__, TypeError)


@pytest.mark.parametrize("text", ["$a +", "[x for x in $l]", "lambda: 1", "($a := 1)",
                                  "$a = 1", ""])
def test_syntax_errors(text):
    with pytest.raises(ColangSyntaxError):
        compile_expression(text)


def test_compiled_once():
    assert compile_expression("$a + 41") is compile_expression("$a + 41")
    assert ev("$a + 41", a=1) == 42
