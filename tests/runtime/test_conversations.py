"""Conversations through the public API, one behaviour of the interpreter per test."""
from __future__ import annotations

import pytest

from rails.actions import ActionResult, action
from rails.testing import FakeLLM

GREETING = '''
define user express greeting
  "hello"
  "hi"

define bot express greeting
  "Hello there!"

define bot ask how are you
  "How are you doing?"

define flow greeting
  user express greeting
  bot express greeting
  bot ask how are you
'''


def test_predefined_bot_messages_follow_a_flow(app_factory, talk):
    app, llm = app_factory(GREETING, responses=["  express greeting"])
    assert talk(app, "hello") == ["Hello there!\nHow are you doing?"]
    assert len(llm.calls) == 1  # only the intent needed the model


def test_generated_bot_message_when_none_is_predefined(app_factory, talk):
    colang = GREETING + '''
define user ask joke
  "tell me a joke"

define flow joke
  user ask joke
  bot tell joke
'''
    app, llm = app_factory(colang, responses=["  ask joke", 'Bot message: "Why did the chicken cross the road?"'])
    assert talk(app, "tell me a joke") == ["Why did the chicken cross the road?"]
    assert "tell joke" in llm.prompts[-1].splitlines()[-1]


def test_next_step_comes_from_the_llm_when_no_flow_matches(app_factory, talk):
    app, llm = app_factory(GREETING, responses=["  ask about weather", "bot inform weather",
                                                'Bot message: "It is sunny."'])
    assert talk(app, "how is the weather") == ["It is sunny."]


def test_subflow_and_variables(app_factory, talk):
    colang = '''
define user ask price
  "how much"

define flow price
  user ask price
  $count = 2
  do compute total
  bot report total

define subflow compute total
  $total = $count * 21

define bot report total
  "It costs $total euros."
'''
    app, _ = app_factory(colang, responses=["  ask price"])
    assert talk(app, "how much") == ["It costs 42 euros."]


def test_if_else_and_while(app_factory, talk):
    colang = '''
define user count
  "count"

define flow counting
  user count
  $i = 0
  while $i < 3
    $i = $i + 1
    if $i == 2
      bot say two
    else
      bot say number

define bot say two
  "two"

define bot say number
  "number $i"
'''
    app, _ = app_factory(colang, responses=["  count"])
    # As in the reference, the flow slides past a bot step (running the next assignment)
    # before that step's message is rendered, so the first message already sees $i == 2.
    assert talk(app, "count") == ["number 2\ntwo\nnumber 3"]


def test_when_else_when_branches(app_factory, talk):
    colang = '''
define flow offer
  user ask offer
  bot make offer
  when user accept
    bot thank
  else when user reject
    bot regret

define bot make offer
  "Would you like a discount?"
define bot thank
  "Great!"
define bot regret
  "Maybe next time."
'''
    app, _ = app_factory(colang, responses=["  ask offer", "  reject"])
    assert talk(app, "any offers?", "no thanks") == ["Would you like a discount?",
                                                    "Maybe next time."]


SHOES_AND_WEATHER = '''
define flow shoes
  user ask for shoes
  bot ask size
  user provide size
  bot confirm size

define flow weather
  user ask weather
  bot inform weather

define bot ask size
  "Which size?"
define bot confirm size
  "Size noted."
define bot inform weather
  "Sunny."
'''


def test_interrupted_flow_resumes_after_an_unrelated_question(app_factory, talk):
    app, _ = app_factory(SHOES_AND_WEATHER,
                         responses=["  ask for shoes", "  ask weather", "  provide size"])
    assert talk(app, "shoes", "weather?", "size 9") == ["Which size?", "Sunny.", "Size noted."]


def test_stop_ends_the_turn(app_factory, talk):
    colang = '''
define flow
  user ask secret
  bot refuse
  stop
  bot never said

define bot refuse
  "No."
define bot never said
  "You should not see this."
'''
    app, _ = app_factory(colang, responses=["  ask secret"])
    assert talk(app, "secret?") == ["No."]


def test_action_result_value_and_context_updates(app_factory):
    colang = '''
define flow
  user ask balance
  $balance = execute get_balance(account="main")
  execute remember_check
  bot report balance

define bot report balance
  "Balance $balance, checked $checks time(s)."
'''
    app, _ = app_factory(colang, responses=["  ask balance"])

    @action()
    async def get_balance(account: str):
        return {"main": 120}[account]

    @action()
    async def remember_check(context: dict = None):
        return ActionResult(return_value=True,
                            context_updates={"checks": (context.get("checks") or 0) + 1})

    app.register_action(get_balance)
    app.register_action(remember_check)
    result = app.generate(messages=[{"role": "user", "content": "balance?"}],
                          options={"output_vars": ["balance", "checks"]})
    assert result.response[0]["content"] == "Balance 120, checked 1 time(s)."
    assert result.output_data == {"balance": 120, "checks": 1}


def test_injected_parameters_and_registered_params(app_factory, talk):
    colang = '''
define flow
  user ask
  $answer = execute inspect_everything
  bot answer

define bot answer
  "$answer"
'''
    app, llm = app_factory(colang, responses=["  ask"])
    special = object()
    seen = {}

    @action()
    async def inspect_everything(context, events, config, llm, llm_task_manager, state, my_param):
        seen.update(context=context, last_event=events[-1], config=config, llm=llm,
                    task_manager=llm_task_manager, state=state, my_param=my_param)
        return "ok"

    app.register_action(inspect_everything)
    app.register_action_param("my_param", special)
    assert talk(app, "go") == ["ok"]
    assert seen["my_param"] is special
    assert seen["config"] is app.config and seen["llm"] is llm
    assert seen["last_event"]["type"] == "StartInternalSystemAction"
    assert seen["last_event"]["action_name"] == "inspect_everything"
    assert seen["context"]["last_user_message"] == "go"
    assert seen["task_manager"] is app.llm_task_manager
    assert seen["state"] is not None


def test_action_specific_llm_replaces_llm(app_factory, talk):
    colang = '''
define flow
  user ask
  $who = execute which_llm
  bot answer

define bot answer
  "$who"
'''
    app, _ = app_factory(colang, responses=["  ask"])
    special = FakeLLM(responses=[])

    @action()
    async def which_llm(llm):
        return "special" if llm is special else "main"

    app.register_action(which_llm)
    app.register_action_param("which_llm_llm", special)
    assert talk(app, "x") == ["special"]


def test_failing_action_gives_the_fallback_and_keeps_the_cause(app_factory):
    colang = '''
define flow
  user ask
  execute explode
  bot never

define flow
  user express greeting
  bot express greeting

define bot express greeting
  "Hi!"
'''
    app, _ = app_factory(colang, responses=["  ask", "  express greeting"])

    @action()
    async def explode():
        raise ZeroDivisionError("the cause")

    app.register_action(explode)
    messages = [{"role": "user", "content": "do it"}]
    result = app.generate(messages=messages, options={"log": {"activated_rails": True}})
    assert result.response[0]["content"] == "I'm sorry, an internal error has occurred."
    assert result.log.errors and result.log.errors[0].type == "ZeroDivisionError"
    assert "the cause" in result.log.errors[0].traceback
    assert app.explain().errors[0].message == "the cause"
    # The next turn works normally.
    messages += [result.response[0], {"role": "user", "content": "hello"}]
    assert app.generate(messages=messages)["content"] == "Hi!"


def test_failing_action_can_propagate(app_factory):
    colang = '''
define flow
  user ask
  execute explode
'''
    app, _ = app_factory(colang, responses=["  ask"])

    @action()
    async def explode():
        raise ZeroDivisionError("the cause")

    app.register_action(explode)
    with pytest.raises(ZeroDivisionError):
        app.generate(messages=[{"role": "user", "content": "x"}],
                     options={"raise_errors": True})


def test_fallback_message_is_configurable(app_factory, talk):
    app, _ = app_factory('''
define flow
  user ask
  execute explode
''', yaml="errors:\n  fallback_message: Something broke, sorry.\n", responses=["  ask"])

    async def explode():
        raise RuntimeError("x")

    app.register_action(explode, name="explode")
    assert talk(app, "x") == ["Something broke, sorry."]


def test_unknown_action_names_the_closest_ones(app_factory, talk):
    app, _ = app_factory('''
define flow
  user ask
  execute lookup_ordr
''', responses=["  ask"])

    async def lookup_order():
        return 1

    app.register_action(lookup_order, name="lookup_order")
    assert talk(app, "x") == ["Action 'lookup_ordr' not found."]
    error = app.explain().errors[0]
    assert "lookup_order" in error.message


def test_flow_expression_error_names_the_flow_and_line(app_factory, talk):
    app, _ = app_factory('''
define flow broken
  user ask
  $x = 1 / 0
  bot never
''', responses=["  ask"])
    assert talk(app, "x") == ["I'm sorry, an internal error has occurred."]
    message = app.explain().errors[0].message
    assert "broken" in message and "1 / 0" in message


def test_user_flows_override_builtin_flows_by_id(app_factory, talk):
    colang = GREETING + '''
define flow generate next step
  priority 0.9
  user ...
  bot custom fallback

define bot custom fallback
  "I only do greetings."
'''
    app, llm = app_factory(colang, responses=["  ask something else"])
    assert talk(app, "what?") == ["I only do greetings."]
    assert len(llm.calls) == 1


def test_state_round_trip(app_factory):
    colang = '''
define flow
  user ask for shoes
  bot ask size
  user provide size
  bot confirm size

define bot ask size
  "Which size?"
define bot confirm size
  "Size noted."
'''
    app, _ = app_factory(colang, responses=["  ask for shoes", "  provide size"])
    first = app.generate(messages=[{"role": "user", "content": "shoes"}], state={})
    assert first.response[0]["content"] == "Which size?"
    import json

    state = json.loads(json.dumps(first.state, default=str))  # it survives JSON
    fresh, _ = app_factory(colang, responses=["  provide size"])
    second = fresh.generate(messages=[{"role": "user", "content": "nine"}], state=state)
    assert second.response[0]["content"] == "Size noted."


def test_events_api(app_factory):
    app, _ = app_factory(GREETING, responses=["  express greeting"])
    new_events = app.generate_events([{"type": "UtteranceUserActionFinished",
                                       "final_transcript": "hello"}])
    types = [event["type"] for event in new_events]
    assert types[-1] == "Listen"
    scripts = [e["script"] for e in new_events if e["type"] == "StartUtteranceBotAction"]
    assert scripts == ["Hello there!", "How are you doing?"]
    assert {"UserMessage", "UserIntent", "BotIntent", "BotMessage"} <= set(types)


def test_generate_inside_a_running_loop(app_factory):
    import asyncio

    app, _ = app_factory(GREETING, responses=["  express greeting"])

    async def inside():
        return app.generate(messages=[{"role": "user", "content": "hello"}])

    assert asyncio.run(inside())["content"] == "Hello there!\nHow are you doing?"


def test_prompt_form_returns_text(app_factory):
    app, _ = app_factory(GREETING, responses=["  express greeting"])
    assert app.generate(prompt="hello") == "Hello there!\nHow are you doing?"


def test_bad_messages_are_rejected_clearly(app_factory):
    app, _ = app_factory(GREETING)
    with pytest.raises(ValueError, match="role"):
        app.generate(messages=[{"role": "robot", "content": "x"}])
    with pytest.raises(ValueError, match="exactly one"):
        app.generate()


def test_create_event_can_be_overridden(app_factory):
    app, _ = app_factory('''
define flow
  user ask
  create event Audit(who="me")
  event Audit
  bot done

define bot done
  "Done."
''', responses=["  ask"])
    seen = []

    async def create_event(event: dict, context: dict = None):
        from rails.actions import ActionResult
        from rails.events import new_event_dict

        seen.append(event["_type"])
        fields = {k: context.get(v[1:]) if isinstance(v, str) and v.startswith("$") else v
                  for k, v in event.items() if k != "_type"}
        return ActionResult(events=[new_event_dict(event["_type"], **fields)])

    app.register_action(create_event, name="create_event")
    assert app.generate(messages=[{"role": "user", "content": "x"}])["content"] == "Done."
    assert "Audit" in seen and "UserMessage" in seen


def test_a_conversation_can_branch_from_an_earlier_turn(app_factory):
    # An edited last message (or a regenerated answer) continues from an earlier prefix of a
    # conversation the engine already went on with: both branches keep their own history.
    app, _ = app_factory(SHOES_AND_WEATHER, responses=[
        "  ask for shoes", "  provide size", "  ask weather", "  provide size", "  ask weather"])
    first = [{"role": "user", "content": "shoes"}]
    first.append(app.generate(messages=first))
    sized = first + [{"role": "user", "content": "size 9"}]
    assert app.generate(messages=sized)["content"] == "Size noted."
    edited = first + [{"role": "user", "content": "weather?"}]
    assert app.generate(messages=edited)["content"] == "Sunny."
    # The shoes flow is still waiting for a size on the edited branch: the weather question
    # only interrupted it, and the size given on the other branch is not part of this one.
    edited.append({"role": "assistant", "content": "Sunny."})
    edited.append({"role": "user", "content": "size 9"})
    assert app.generate(messages=edited)["content"] == "Size noted."
    history = app.explain().colang_history
    assert history.count('user "size 9"') == 1 and 'user "weather?"' in history
    # And the first branch goes on from where it was.
    sized += [{"role": "assistant", "content": "Size noted."},
              {"role": "user", "content": "weather?"}]
    assert app.generate(messages=sized)["content"] == "Sunny."
    assert 'user "weather?"' in app.explain().colang_history
