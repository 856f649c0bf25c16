"""Control flow compiles to the flat lists and relative jumps of spec §2.3."""
from __future__ import annotations


def test_if_else(flow, shapes):
    utter = shapes["utter"]
    assert flow("if $a", "  bot x", "else", "  bot y") == [
        {"_type": "if", "expression": "$a", "_next_else": 3}, utter("x"),
        {"_type": "jump", "_next": 2}, utter("y")]


def test_if_without_else(flow, shapes):
    assert flow("if $a", "  bot x", "bot z") == [
        {"_type": "if", "expression": "$a", "_next_else": 2}, shapes["utter"]("x"),
        shapes["utter"]("z")]


def test_else_if_nests_an_if_in_the_else_part(flow, shapes):
    utter = shapes["utter"]
    assert flow("if $a == 1", "  bot x", "else if $a == 2", "  bot y", "else", "  bot z") == [
        {"_type": "if", "expression": "$a == 1", "_next_else": 3}, utter("x"),
        {"_type": "jump", "_next": 5},
        {"_type": "if", "expression": "$a == 2", "_next_else": 3}, utter("y"),
        {"_type": "jump", "_next": 2}, utter("z")]


def test_while_with_break_and_continue_targets(flow, shapes):
    elements = flow("while $i < 3", "  $i = $i + 1", "  if $i == 2", "    continue",
                    "  bot x", "bot done")
    assert elements[0] == {"_type": "while", "expression": "$i < 3", "_next_on_break": 6}
    assert elements[1] == {"_type": "set", "key": "i", "expression": "$i + 1",
                           "_next_on_break": 5, "_next_on_continue": -1}
    assert elements[3] == {"_type": "continue", "_next_on_break": 3, "_next_on_continue": -3}
    assert elements[5] == {"_type": "jump", "_next": -5}
    assert elements[6] == shapes["utter"]("done")


def test_nested_loops_break_the_innermost(flow):
    elements = flow("while $a", "  while $b", "    break", "  bot x")
    inner_break = elements[2]
    assert elements[1]["_next_on_break"] == 3  # the inner while keeps its own target
    assert inner_break["_next_on_break"] == 2  # skips the inner back-jump only


def test_when_else_when(flow, shapes):
    user, utter = shapes["user"], shapes["utter"]
    assert flow("when user a", "  bot b", "else when user c", "  bot d", "bot e") == [
        {"_type": "branch", "branch_heads": [1, 4]}, user("a"), utter("b"),
        {"_type": "jump", "_next": 4}, user("c"), utter("d"), {"_type": "jump", "_next": 1},
        utter("e")]


def test_consecutive_whens_join_one_branch(flow):
    assert flow("when user a", "  bot b", "when user c", "  bot d")[0]["branch_heads"] == [1, 4]


def test_else_when_with_a_plain_word_is_an_event_pattern(flow):
    """Normalization rule 4, seen in real configurations."""
    assert flow("when user a", "  bot b", "else when express disagreement", "  bot c")[4] == {
        "_type": "express disagreement"}


def test_labels_and_gotos(flow):
    elements = flow("label retry", "user answer", "goto retry", "checkpoint end $v")
    assert elements[0] == {"_type": "jump", "_next": 1, "_label": "retry",
                           "_debug": "label: retry"}
    assert elements[2] == {"_type": "jump", "_next": -2, "_debug": "goto retry"}
    assert elements[3]["_label_value"] == "$v"
    assert flow("goto later", "label later")[0]["_next"] == 1
    assert flow("go to x", "label x")[0]["_next"] == 1


def test_meta_and_modifiers(doc):
    parsed = doc('''
        define parallel extension subflow audit
          priority 2
          meta {"custom": "x"}
          meta
            note: hello
            weight: 3
          event Tick
        ''')
    flow = parsed.flows[0]
    assert flow["id"] == "audit"
    assert flow["meta"] == {"allow_multiple": True, "is_extension": True, "subflow": True,
                            "priority": 2, "custom": "x", "note": "hello", "weight": 3}
    assert [e["_type"] for e in flow["elements"]] == ["Tick"]


def test_all_modifier_words(doc):
    words = {"non-interruptable": {"interruptable": False},
             "noninterruptable": {"interruptable": False},
             "continuous": {"interruptable": False}, "recursive": {"allow_multiple": True},
             "interruption": {"is_interruption_flow": True},
             "repair": {"is_interruption_flow": True}, "test": {"is_test": True},
             "sample": {"is_sample": True}, "response": {"is_response": True}}
    for word, meta in words.items():
        assert doc(f"define {word} flow f\n  bot x\n").flows[0]["meta"] == meta


def test_anonymous_flow_ids_use_the_reference_hash(doc):
    # Value computed with NeMo Guardrails 0.10.1 for the same body.
    parsed = doc("define flow\n  user express greeting\n  bot express greeting\n")
    assert parsed.flows[0]["id"] == "anonymous-1f140fc0"


def test_names_keep_their_characters(doc):
    parsed = doc("define subflow check-pii v2.1:\n  bot x\n")
    assert parsed.flows[0]["id"] == "check-pii v2.1"


def test_source_code_excludes_define_and_meta(doc):
    text = ("define flow f\n  priority 2\n  user a\n\n  # say b\n  bot b\n"
            "    \"B!\"\n\ndefine flow g\n  bot c\n")
    flows = doc(text).flows
    assert flows[0]["source_code"] == 'user a\n# say b\nbot b\n  "B!"'
    assert flows[1]["source_code"] == "bot c"
    assert flows[0]["line"] == 1 and flows[0]["file"] == "test.co"
