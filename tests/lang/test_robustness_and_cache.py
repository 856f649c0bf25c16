"""Any text gives a document or a ColangSyntaxError; parsing is cached; CoYML compiles."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rails.lang as lang
from rails.errors import ColangSyntaxError
from rails.lang import ColangDocument, compile_coyml_flow, grammar, parse

VALID = '''define user greet
  "hello $name"
define bot greet back
  "Hi there!"
define parallel flow greeting
  # greet back
  user greet
  $count = $count + 1
  if $count > 1 and $name
    bot greet back
  else if $x
    execute log_it(a=1, b=$c)
  else
    $v = execute fetch with $a
  while $i < 3
    break
  when user agree
    create event Done(ok=True)
  else when bot something
    do sub flow
  label l
  goto l
  stop
'''


def _outcome(text: str) -> None:
    try:
        result = parse(text, "fuzz.co")
    except ColangSyntaxError:
        return
    assert isinstance(result, ColangDocument)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(
    st.text(alphabet=st.sampled_from(list('define flow user bot if else when $x"()=:#\\\n '
                                          "\t.,[]{}'")), max_size=120),
    st.text(max_size=80)))
def test_arbitrary_text_gives_a_document_or_a_syntax_error(text):
    _outcome("define flow f\n" + text)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_mutated_valid_snippets(data):
    lines = VALID.split("\n")
    index = data.draw(st.integers(0, len(lines) - 1))
    kind = data.draw(st.sampled_from(["delete", "insert", "indent", "dedent", "truncate"]))
    line = lines[index]
    if kind == "delete":
        lines.pop(index)
    elif kind == "insert":
        lines.insert(index, data.draw(st.text(max_size=30)))
    elif kind == "indent":
        lines[index] = "  " + line
    elif kind == "dedent":
        lines[index] = line[2:]
    else:
        lines[index] = line[:data.draw(st.integers(0, max(len(line), 0)))]
    _outcome("\n".join(lines))


def test_second_parse_of_the_same_text_does_not_call_lark():
    text = "define flow cache probe\n  user zebra crossing question\n  bot zebra answer\n"
    lang.clear_cache()
    first = parse(text, "cache.co")
    before = grammar.stats["lark_parses"]
    second = parse(text, "cache.co")
    assert grammar.stats["lark_parses"] == before
    assert second.flows == first.flows
    second.flows[0]["elements"].clear()  # callers get their own copy
    assert parse(text, "cache.co").flows == first.flows


def test_lines_of_the_same_shape_share_one_lark_parse():
    lang.clear_cache()
    parse("define flow a\n  user ask about refunds\n", "one.co")
    before = grammar.stats["lark_parses"]
    doc = parse("define flow b\n  user ask about deliveries\n", "two.co")
    assert grammar.stats["lark_parses"] == before
    assert doc.flows[0]["elements"][0]["intent_name"] == "ask about deliveries"


def test_the_grammar_ships_as_a_file_lark_loads_once():
    assert grammar.grammar_path().name == "colang.lark"
    assert grammar.get_parser() is grammar.get_parser()


def test_the_valid_snippet_parses():
    doc = parse(VALID, "valid.co")
    assert doc.flows[0]["meta"] == {"allow_multiple": True}
    assert doc.user_messages == {"greet": ["hello {name}"]}


def test_coyml_flow_compiles_to_the_same_elements_as_colang():
    compiled = compile_coyml_flow({"id": "greeting", "elements": [
        {"user": "express greeting"}, {"bot": "express greeting"},
        {"execute": "log_it(a=1, b=$c)"}, {"if": "$a > 1", "then": [{"bot": "yes"}],
                                            "else": [{"bot": "no"}]},
        {"event": "Tick", "n": 1}, {"meta": {"priority": 2}}, [{"user": "a"}], [{"user": "b"}],
    ]})
    strip = [{k: v for k, v in e.items() if k != "_source_mapping"}
             for e in compiled["elements"]]
    assert strip[:3] == [
        {"_type": "UserIntent", "intent_name": "express greeting", "intent_params": {}},
        {"_type": "run_action", "action_name": "utter",
         "action_params": {"value": "express greeting"}},
        {"_type": "run_action", "action_name": "log_it", "action_params": {"a": 1, "b": "$c"},
         "action_result_key": None}]
    assert strip[3] == {"_type": "if", "expression": "$a > 1", "_next_else": 3}
    assert strip[7] == {"_type": "Tick", "n": 1}
    assert strip[8] == {"_type": "branch", "branch_heads": [1, 3]}
    assert compiled["id"] == "greeting" and compiled["meta"] == {"priority": 2}


def test_coyml_errors_name_the_flow_and_element():
    with pytest.raises(ColangSyntaxError, match="flow 'f', element 1"):
        compile_coyml_flow({"id": "f", "elements": [{"frobnicate": "x"}]})
    with pytest.raises(ColangSyntaxError, match="element 2"):
        compile_coyml_flow({"id": "f", "elements": [{"user": "a"}, {"if": "$a >",
                                                                     "then": []}]})
