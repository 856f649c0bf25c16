"""Every unsupported form of spec §1.8 is a ColangSyntaxError with location, caret and hint."""
from __future__ import annotations

import pytest

from rails.lang import parse


@pytest.mark.parametrize("text,line,message,hint", [
    ("define flow x\n  user a\n  when user b\n    bot c\n  else\n    bot d\n", 5,
     "`else` cannot follow `when`", "else when <pattern>"),
    ("define flow x\n  when no user b\n    bot c\n", 2, "`when no ...` is not supported",
     "else when"),
    ("define flow x\n  expect foo\n", 2, "`expect` is not a Colang 1.0 statement",
     "valid statements"),
    ("define flow x\n  log \"x\"\n", 2, "`log` is not a Colang 1.0 statement", None),
    ("define flow x\n  user a\n  ...\n", 3, "only `...` is not a statement", None),
    ("define flow x\n  user give name as $n\n", 2, "is not supported", "$name = ..."),
    ("define flow x\n  execute foo(a=1+2)\n", 2, "invalid `run` statement", "literals"),
    ("define bot x\n  text: hello\n", 2, "rich (YAML) messages are not supported", "quoted"),
    ("define foo flow x\n  bot a\n", 1, "invalid `define` statement", "parallel"),
    ("define bot x\ndefine flow y\n  bot x\n", 1, "has no messages", "variants"),
    ("define flow x\n  frobnicate the thing\n", 2, "Unknown main token 'frobnicate'",
     "valid statements: user, bot"),
    ("define flow x\n  bot a\nnamespace\n  define flow y\n    bot b\n", 3,
     "Unknown main token 'namespace'", "namespace header"),
    ("define flow x\n  user a or user b\n", 2, "alternatives are not supported", "when"),
    ("define flow x\n  if $a >\n    bot b\n", 2, "invalid `if` statement", "Python-like"),
    ("define flow x\n  label a\n  label a\n", 3, "label 'a' is defined twice", None),
    ("define flow x\n  goto nowhere\n", 2, "no label 'nowhere'", None),
    ("define flow x\n  bot a\n  else\n    bot b\n", 3, "`else` without a matching `if`", None),
    ("define flow x\n  bot a\n  else if $b\n    bot b\n", 3, "`else if` without a matching `if`",
     None),
    ("define flow x\n    bot a\n  bot b\n", 3, "inconsistent indentation", "indented by 2"),
    ("define flow x\n\tbot a\n", 2, "tab in indentation", "spaces"),
    ('define bot x\n  "abc\n  def\n', 2, "unterminated string", None),
    ("define flow x\ndefine flow y\n  bot z\n", 1, "`define flow` has no body", None),
    ("define flow x\n  bot a\nbot b\n", 3, "`bot` statement outside of a flow", None),
    ("define flow x\n  if $a\n  bot b\n", 2, "`if` needs an indented block", None),
    ("define flow x\n  bot a\ndefine flow x\n  bot b\n", 3, "already defined on line 1", None),
    ("define flow x\n  @active\n", 2, "Unknown main token '@active'", "Colang 2"),
    ("define flow x\n  any\n    user a\n", 2, "alternatives are not supported", None),
    ("define flow x\n  stop\n    bot a\n", 2, "unexpected indented block", None),
    ("define flow x\n  if $a.__class__\n    bot b\n", 2, "'__class__' is not allowed", None),
    ("define flow x\n  bot\n", 2, "`bot` needs a message name", None),
    ("define flow x\n  execute foo\n    kind: fast\n", 3, "cannot read the value 'fast'",
     '"quoted strings"'),
    ("define user x\n  bot hello\n", 2, "inside `define user` is not supported", None),
    ("define flow x\n  meta {bad}\n", 2, "bad meta value", "JSON"),
    ("define flow x\n  $x = execute\n", 2, "unknown name 'execute'", "execute ACTION"),
    ("define flow x\n  bto hello\n", 2, "Unknown main token 'bto'", "did you mean `bot`?"),
    ("define flow x\n  $x =\n", 2, "Unknown main token '$x'", "assignments are"),
    ("define user\n  \"hi\"\n", 1, "`define user` needs a name", None),
    ('define flow x\n  bot hi "a" "b"\n', 2, 'unexpected `"b"`', None),
    ("define flow x\n  if $a\n    meta {\"priority\": 1}\n", 3, "top level", None),
])
def test_error_message_location_and_hint(syntax_error, text, line, message, hint):
    error = syntax_error(text)
    assert error.file == "bad.co"
    assert error.line == line
    assert message in error.message
    if hint:
        assert hint in (error.hint or "")
    rendered = str(error)
    assert rendered.startswith(f"bad.co:{line}:")
    assert "^" in rendered


def test_caret_points_at_the_bad_token(syntax_error):
    error = syntax_error("define flow x\n  execute foo(a=1+2)\n")
    assert error.line_text == "  execute foo(a=1+2)"
    assert error.column == len("  execute foo(a=1") + 1


def test_errors_never_leak_lark_exceptions():
    from lark.exceptions import LarkError

    for text in ["define flow x\n  user (\n", "define flow x\n  if (((\n    bot a\n",
                 "define flow x\n  execute f(a=\n", "define flow x\n  event (x)\n"]:
        with pytest.raises(Exception) as info:
            parse(text, "x.co")
        assert not isinstance(info.value, LarkError)
        assert type(info.value).__name__ == "ColangSyntaxError"


def test_a_multi_line_string_swallowing_statements_warns(caplog):
    text = 'define bot greet\n  "Hello\n  define flow x"\n'
    parse(text, "warn.co")
    assert "closing quote" in caplog.text


def test_conditional_bot_variants_warn(caplog):
    doc = parse('define bot b\n  if $a\n    "A"\n  else\n    "B"\n', "cond.co")
    assert doc.bot_messages == {"b": ["A", "B"]}
    assert "ignored" in caplog.text
