"""The pre-pass of spec §1.2 and the line normalizations of §1.3."""
from __future__ import annotations

import pytest

from rails.lang import parse
from rails.lang.lines import anonymous_flow_hash, logical_lines
from rails.lang.normalize import main_token, normalize


def test_comments_attach_to_the_next_statement_across_blank_lines():
    lines = logical_lines("# first\n\n# second\nbot x  # trailing is dropped\n")
    assert lines == [("bot x", 4, 0, "first\nsecond")]


def test_doc_strings_become_comments():
    lines = logical_lines('  """\n  Explain\n  more\n  """\n  bot x\n  """one"""\n  bot y\n')
    assert lines[0].comment == "\nExplain\nmore\n"
    assert lines[1].comment == "one"


def test_continuations_join_lines_and_keep_the_last_number():
    lines = logical_lines("  bot x \\\n    with $a\n  user a or\n    user b\n")
    assert lines[0] == ("bot x with $a", 2, 2, None)
    assert lines[1].text == "user a or user b"


def test_multi_line_strings_and_the_trailing_comment_fix():
    lines = logical_lines('  "first\n  second"\n  "Hi" # a note\n  bot x\n')
    assert lines[0] == ('"first\nsecond"', 2, 2, None)
    assert lines[1].text == '"Hi"'  # quirk W14 fixed: the comment does not open a string
    assert lines[2].text == "bot x"


def test_hash_inside_strings_is_kept():
    assert logical_lines('bot x "a #1 b" # c\n')[0].text == 'bot x "a #1 b"'


def test_anonymous_hash_matches_the_reference_algorithm():
    assert anonymous_flow_hash("") == "0"
    assert anonymous_flow_hash("a") == "61"
    assert anonymous_flow_hash("user express greetingbot express greeting") == "1f140fc0"


@pytest.mark.parametrize("text,expected", [
    ("user  says   hello   there", "user hello there"),
    ('bot  x   "keep   inner"', 'bot x "keep   inner"'),
    ("define flow x:", "define flow x"),
    ("if $a:", "if $a"),
    ("infer Foo", "infer event Foo"),
    ("infer user greet", "infer user greet"),
    ("when agree", "when event agree"),
    ("else when express disagreement", "else when event express disagreement"),
    ("when user agree", "when user agree"),
    ("def flow x", "define flow x"),
    ("user something", "user *"),
    ("bot something else", "bot *"),
    ("when user says something", "when user *"),
    ("user ask about something", "user ask about ..."),
    ("execute foo", "run foo"),
    ("exec foo", "run foo"),
    ("set x label to $v", "label x $v"),
    ("$v = execute foo", "run $v = foo"),
    ("$v = exec foo", "run $v = foo"),
    ("$v = $a + 1", "set $v = $a + 1"),
    ("priority 2", 'meta {"priority": 2}'),
    ("priority 0.5", 'meta {"priority": 0.5}'),
    ("$v += 2", "set $v = $v + 2"),
    ("$v -= 2", "set $v = $v - 2"),
    ("create event Foo", "infer event Foo"),
    ("new event Foo", "infer event Foo"),
    ("create user greet", "infer user greet"),
])
def test_normalizations(text, expected):
    assert normalize(text) == expected


def test_main_tokens():
    assert main_token("else if $a") == "else if"
    assert main_token("else when user x") == "else when"
    assert main_token("else") == "else"
    assert main_token("go to x") == "go to"
    assert main_token("bot x") == "bot"


def test_python_style_colons_work_end_to_end():
    doc = parse("define flow x:\n  if $a:\n    bot y\n", "c.co")
    assert doc.flows[0]["id"] == "x"
    assert doc.flows[0]["elements"][0]["expression"] == "$a"


def test_files_that_are_not_colang_1_parse_to_nothing():
    assert parse("# only a comment\n", "c.co").flows == []
    assert parse('"""\ndefine flow x\n"""\nflow main\n  match x\n', "v2.co").flows == []
    assert parse("", None).flows == []


def test_imports_are_recorded():
    doc = parse('import billing_rails\ninclude "bot/x"\ndefine flow f\n  bot y\n', "i.co")
    assert doc.imports == ["billing_rails", "x"]
