"""Every flow statement of spec §1.5 compiles to NeMo's element shape."""
from __future__ import annotations

import pytest


def test_user_intent_wildcard_and_example(flow, shapes):
    user = shapes["user"]
    assert flow("user ask order status") == [user("ask order status")]
    assert flow("user ...") == [user("...")]
    assert flow('user "hello there"') == [{**user("hello there"), "_is_example": True}]


@pytest.mark.parametrize("line", ["user give rating(score=5)", "user give rating with score=5"])
def test_user_with_named_params(flow, shapes, line):
    assert flow(line) == [shapes["user"]("give rating", score=5)]


def test_user_with_variable_param_adds_a_match(flow, shapes):
    assert flow("user give rating with $score") == [
        {**shapes["user"]("give rating"), "_match": "$intent_params.score is not None"}]


def test_user_intent_names_keep_dollar_words_and_for(flow, shapes):
    assert flow("user express $mood") == [shapes["user"]("express $mood")]
    assert flow("user ask for help") == [shapes["user"]("ask for help")]


def test_bot_forms(flow, shapes):
    utter = shapes["utter"]
    assert flow("bot report order status") == [utter("report order status")]
    assert flow("bot ...") == [utter("...")]
    assert flow("bot $reply") == [utter("$reply")]
    assert flow("bot greet user with $name") == [utter("greet user", name="$name")]
    assert flow("bot greet with count=3, who=$w") == [utter("greet", count=3, who="$w")]


def test_bot_inline_variants_are_added_to_bot_messages(doc):
    parsed = doc('''
        define flow refunds
          bot confirm refund "Done, refund issued."
            "Your refund is on its way."
        ''')
    assert parsed.flows[0]["elements"][0]["action_params"] == {"value": "confirm refund"}
    assert parsed.bot_messages == {"confirm refund": ["Done, refund issued.",
                                                      "Your refund is on its way."]}


def test_bot_inline_text_only_is_uttered_as_its_own_message(doc):
    """Quirk F11 fixed: the text is the message name and its only variant."""
    parsed = doc('define flow hi\n  bot "Hello!"\n')
    element = parsed.flows[0]["elements"][0]
    assert element["action_params"] == {"value": "Hello!"}
    assert element["_inline_text"] is True
    assert parsed.bot_messages == {"Hello!": ["Hello!"]}


def test_test_and_sample_flows_do_not_define_messages(doc):
    parsed = doc('define test flow t\n  bot greet "Hi"\n')
    assert parsed.bot_messages == {}


def test_stop_and_abort_are_bot_stop(flow, shapes):
    assert flow("stop", "abort") == [shapes["utter"]("stop"), shapes["utter"]("stop")]


def test_events(flow):
    assert flow("event OrderShipped") == [{"_type": "OrderShipped"}]
    assert flow('event OrderShipped(region="EU", id="...")') == [
        {"_type": "OrderShipped", "region": "EU", "id": "..."}]
    assert flow('event OrderShipped with region="EU"') == [
        {"_type": "OrderShipped", "region": "EU"}]


@pytest.mark.parametrize("verb", ["create", "new", "infer"])
def test_create_event(flow, verb):
    assert flow(f"{verb} event AuditLogged(level=\"info\", who=$user_id)") == [
        {"_type": "run_action", "action_name": "create_event",
         "action_params": {"event": {"_type": "AuditLogged", "level": "info",
                                     "who": "$user_id"}}}]


@pytest.mark.parametrize("verb", ["execute", "exec", "run"])
def test_execute(flow, verb):
    assert flow(f"{verb} refresh_cache") == [
        {"_type": "run_action", "action_name": "refresh_cache", "action_params": {},
         "action_result_key": None}]


def test_execute_params_positional_and_result(flow):
    assert flow("execute lookup_order(order_id=$oid, verbose=True)")[0]["action_params"] == {
        "order_id": "$oid", "verbose": True}
    assert flow('execute wolfram alpha request(1, "x", [1, 2], {"a": -1.5})')[0] == {
        "_type": "run_action", "action_name": "wolfram alpha request",
        "action_params": {"$1": 1, "$2": "x", "$3": [1, 2], "$4": {"a": -1.5}},
        "action_result_key": None}
    assert flow("$order = execute lookup_order(order_id=$oid)")[0]["action_result_key"] == \
        "order"
    assert flow("execute notify with $a, $b")[0]["action_params"] == {"$1": "$a", "$2": "$b"}
    assert flow("execute x(ref=$a.b[0])")[0]["action_params"] == {"ref": "$a.b[0]"}


@pytest.mark.parametrize("line,expression", [
    ("$attempts = $attempts + 1", "$attempts + 1"),
    ("$attempts += 1", "$attempts + 1"),
    ("$attempts -= 2", "$attempts - 2"),
    ("set $attempts = 0", "0"),
])
def test_assignments(flow, line, expression):
    assert flow(line) == [{"_type": "set", "key": "attempts", "expression": expression}]


def test_llm_extracted_value_uses_the_comment_above(doc):
    parsed = doc('''
        define flow capture
          user mention product
          # The product the user mentions.
          $product = ...
        ''')
    element = parsed.flows[0]["elements"][1]
    assert element["action_name"] == "generate_value"
    assert element["action_params"] == {"instructions": "The product the user mentions."}
    assert element["action_result_key"] == "product"


def test_subflow_calls(flow):
    assert flow("do verify identity") == [{"_type": "flow", "flow_name": "verify identity",
                                           "flow_parameters": {}, "return_vars": []}]
    assert flow("do $next_check")[0]["flow_name"] == "$next_check"
    assert flow("do check(a=1)")[0]["flow_parameters"] == {"a": 1}
    assert flow("do $r = check")[0]["return_vars"] == ["r"]


@pytest.mark.parametrize("line", ["return", "done"])
def test_return(flow, line):
    assert flow(line) == [{"_type": "jump", "_next": "-1", "_absolute": True}]


def test_return_values_are_recorded(flow):
    assert flow("return $a, $b")[0]["_return_values"] == ["$a", "$b"]


def test_break_continue_pass_and_check(flow):
    assert flow("break", "continue", "pass", "check $count > 0") == [
        {"_type": "break"}, {"_type": "continue"}, {"_type": "continue"},
        {"_type": "check", "expression": "$count > 0"}]


def test_indented_parameter_blocks(flow):
    assert flow("execute search", "  limit: 5", '  mode: "fast"', "  who = $user",
                "  strict True")[0]["action_params"] == {
        "limit": 5, "mode": "fast", "who": "$user", "strict": True}
    assert flow("user give rating", "  score: 3")[0]["intent_params"] == {"score": 3}
    assert flow("event Tick", "  n: 1")[0] == {"_type": "Tick", "n": 1}


def test_bot_parameters_then_variants(doc):
    parsed = doc('''
        define flow f
          bot greet
            name: $name
            "Hi $name"
        ''')
    assert parsed.flows[0]["elements"][0]["action_params"] == {"value": "greet",
                                                               "name": "$name"}
    assert parsed.bot_messages == {"greet": ["Hi $name"]}


def test_source_mapping_on_every_element(doc):
    parsed = doc('''
        define flow f
          # greet first
          user greet
          if $a
            bot a
          else
            bot b
        ''')
    for element in parsed.flows[0]["elements"]:
        assert element["_source_mapping"]["filename"] == "test.co"
    first = parsed.flows[0]["elements"][0]["_source_mapping"]
    assert first == {"filename": "test.co", "line_number": 4, "line_text": "user greet",
                     "comment": "greet first"}
