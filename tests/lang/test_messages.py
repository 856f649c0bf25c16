"""`define user` / `define bot` bodies (spec §1.4)."""
from __future__ import annotations


def test_user_examples_rewrite_placeholders_and_links(doc):
    parsed = doc('''
        define user ask order status
          "where is my order?"
          "has order $order_id shipped yet"
          "see [this](link) please"
          greeting and farewell
        ''')
    assert parsed.user_messages == {"ask order status": [
        "where is my order?", "has order {order_id} shipped yet", "see {link} please",
        "{intent:greeting} {intent:and} {intent:farewell}"]}


def test_bot_variants_are_verbatim(doc):
    parsed = doc('''
        define bot report order status
          "Order $order_id is $status."
          "Your order {{ order_id }} is currently {{ status }}."
        ''')
    assert parsed.bot_messages == {"report order status": [
        "Order $order_id is $status.", "Your order {{ order_id }} is currently {{ status }}."]}


def test_repeated_definitions_accumulate(doc):
    parsed = doc('define user hi\n  "hi"\ndefine user hi\n  "hello"\n')
    assert parsed.user_messages == {"hi": ["hi", "hello"]}


def test_define_user_without_body_references_itself(doc):
    assert doc("define user express greeting\n").user_messages == {
        "express greeting": ["{intent:express|greeting}"]}


def test_legacy_metadata_lines_are_ignored(doc):
    parsed = doc('''
        define user give age
          param age as int
          set $x = 1
          context whatever
          "I am $age"
        ''')
    assert parsed.user_messages == {"give age": ["I am {age}"]}


def test_single_quoted_lines_are_intent_references(doc):
    assert doc("define user a\n  'x'\n").user_messages == {"a": ["{intent:'x'}"]}


def test_multi_line_variants_keep_their_first_line(doc, caplog):
    parsed = doc('define bot long\n  "line one\n  line two"\n')
    assert parsed.bot_messages == {"long": ["line one"]}
    assert "first line" in caplog.text


def test_action_and_snippet_definitions_are_skipped(doc):
    parsed = doc("define action foo\n  whatever here\ndefine flow f\n  bot x\n")
    assert [f["id"] for f in parsed.flows] == ["f"]
