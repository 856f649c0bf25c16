"""The generation actions called with hand-built event lists (spec §3.9, §3.13, §6.6)."""
from __future__ import annotations

import pytest

from rails.errors import ActionError
from rails.llm.call import streaming_handler
from rails.llm.generation import LLMGenerationActions, ModelRequiredError
from rails.llm.passthrough import raw_llm_request
from rails.testing import FakeLLM

STORE = """
user_messages:
  ask about returns:
    - can I return shoes?
    - how do returns work
  express greeting:
    - hello
    - hi there
  ask order status:
    - where is my order
bot_messages:
  express greeting:
    - "Hello $name!"
    - "Hi {{ name | upper }}!"
  explain return policy:
    - "Returns within 30 days.\\\\nKeep the receipt."
"""

FLOWS = [
    {"id": "returns", "meta": {}, "elements": [],
     "source_code": "user ask about returns\nbot explain return policy"},
    {"id": "greeting", "meta": {}, "elements": [],
     "source_code": "user express greeting\nbot express greeting"},
    {"id": "city", "meta": {}, "elements": [],
     "source_code": "user ask weather\n$city = \"Paris\"\nbot inform weather"},
    {"id": "process user input", "meta": {}, "elements": [],
     "source_code": "event UtteranceUserActionFinished\nexecute create_event"},
]


async def make_actions(config, responses=None, **kwargs):
    llm = FakeLLM(responses=responses) if responses is not None else None
    actions = LLMGenerationActions(config, llm, choose_variant=lambda variants: variants[0],
                                   system_flow_ids={"process user input"}, **kwargs)
    await actions.init()
    return actions, llm


def store_config(config_factory, extra=""):
    config = config_factory(STORE + extra)
    config.flows = [dict(flow) for flow in FLOWS]
    return config


def only_event(result, kind):
    [event] = result.events
    assert event["type"] == kind
    return event


# -- user intent ---------------------------------------------------------------------------

async def test_user_intent_from_the_llm_with_examples_most_relevant_last(config_factory, events):
    actions, llm = await make_actions(store_config(config_factory),
                                      ["User intent: ask about returns\nBot intent: x"])
    history = [events.user("can I return my shoes?"), events.action("generate_user_intent")]
    result = await actions.generate_user_intent(events=history, context={},
                                                config=actions.config)
    assert only_event(result, "UserIntent")["intent"] == "ask about returns"
    prompt = llm.prompts[0]
    examples = prompt[prompt.index("# Examples of what users say"):]
    # the best match comes last, right before the hint line
    block = examples[:examples.index("# Reply with")].strip().split("\n")
    assert block[-2:] == ['User message: "can I return shoes?"', "User intent: ask about returns"]
    hint = next(line for line in prompt.split("\n") if "Prefer one of:" in line)
    assert "ask about returns" in hint.split("Prefer one of:")[1].split(", ")
    assert prompt.rstrip().endswith('User message: "can I return my shoes?"')
    assert llm.calls[0]["kwargs"]["temperature"] == 0.001


async def test_user_intent_empty_answer_is_unknown_message(config_factory, events):
    actions, _ = await make_actions(store_config(config_factory), ["\n\n"])
    result = await actions.generate_user_intent(events=[events.user("hm")], context={})
    assert only_event(result, "UserIntent")["intent"] == "unknown message"


async def test_user_intent_drops_a_leading_user_prefix(config_factory, events):
    config = store_config(config_factory, """
prompts:
  - task: generate_user_intent
    content: "{{ history | colang }}"
""")
    actions, _ = await make_actions(config, ["user ask order status\n"])
    result = await actions.generate_user_intent(events=[events.user("where?")], context={})
    assert only_event(result, "UserIntent")["intent"] == "ask order status"


async def test_embeddings_only_takes_the_best_example_above_threshold(config_factory, events):
    config = store_config(config_factory, """
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.5
      embeddings_only_fallback_intent: ask something else
""")
    actions, llm = await make_actions(config, [])
    match = await actions.generate_user_intent(events=[events.user("hello")], context={})
    assert only_event(match, "UserIntent")["intent"] == "express greeting"
    miss = await actions.generate_user_intent(events=[events.user("quantum chromodynamics")],
                                              context={})
    assert only_event(miss, "UserIntent")["intent"] == "ask something else"
    assert llm.calls == []


async def test_embeddings_only_without_fallback_asks_the_llm_below_threshold(
        config_factory, events):
    config = store_config(config_factory, """
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.99
""")
    actions, llm = await make_actions(config, ["User intent: ask order status"])
    result = await actions.generate_user_intent(events=[events.user("parcel tracking")],
                                                context={})
    assert only_event(result, "UserIntent")["intent"] == "ask order status"
    assert len(llm.calls) == 1


async def test_without_a_model_the_intent_comes_from_the_examples(config_factory, events):
    actions, _ = await make_actions(store_config(config_factory))
    hit = await actions.generate_user_intent(events=[events.user("hello")], context={})
    assert only_event(hit, "UserIntent")["intent"] == "express greeting"
    # No threshold set: the best match decides, as in the reference (no hidden cut-off).
    far = await actions.generate_user_intent(events=[events.user("zebra xylophone")],
                                             context={})
    assert only_event(far, "UserIntent")["intent"] != "unknown message"


async def test_without_a_model_a_threshold_leaves_far_messages_unknown(config_factory,
                                                                       events):
    config = store_config(config_factory, """
rails:
  dialog:
    user_messages:
      embeddings_only_similarity_threshold: 0.3
""")
    actions, _ = await make_actions(config)
    miss = await actions.generate_user_intent(events=[events.user("zebra xylophone")],
                                              context={})
    assert only_event(miss, "UserIntent")["intent"] == "unknown message"


async def test_user_intent_needs_a_user_message(config_factory, events):
    actions, _ = await make_actions(store_config(config_factory), [])
    with pytest.raises(ActionError, match="needs a UserMessage"):
        await actions.generate_user_intent(events=[events.bot("x")], context={})


# -- general mode and passthrough ------------------------------------------------------------

async def test_general_mode_answers_directly_with_stop_and_quote_stripping(config_factory,
                                                                          events):
    actions, llm = await make_actions(config_factory(), ['  "Sure, I can help."  '])
    history = [events.user("hi"), events.said("Hello!"), events.user("help me")]
    result = await actions.generate_user_intent(events=history, context={})
    assert only_event(result, "BotMessage")["text"] == "Sure, I can help."
    assert llm.calls[0]["stop"] == ["User:"]
    assert llm.prompts[0].endswith("User: hi\nAssistant: Hello!\nUser: help me\nAssistant:")


async def test_general_mode_without_a_model_says_what_is_missing(config_factory, events):
    actions, _ = await make_actions(config_factory())
    with pytest.raises(ModelRequiredError, match="needs an LLM.*general mode"):
        await actions.generate_user_intent(events=[events.user("hi")], context={})


async def test_passthrough_sends_the_raw_messages_with_the_rewritten_user_text(
        config_factory, events):
    actions, llm = await make_actions(config_factory("passthrough: true"), ["raw answer"])
    token = raw_llm_request.set([{"role": "system", "content": "be terse"},
                                 {"role": "user", "content": "original"}])
    try:
        result = await actions.generate_user_intent(events=[events.user("rewritten")],
                                                    context={})
    finally:
        raw_llm_request.reset(token)
    assert only_event(result, "BotMessage")["text"] == "raw answer"
    assert llm.prompts[0] == "[system] be terse\n[user] rewritten"


async def test_passthrough_function_output_and_extra_data(config_factory, events):
    actions, llm = await make_actions(config_factory("passthrough: true"), [])
    seen = {}

    async def passthrough(context, events):
        seen["text"] = events[-1]["text"]
        return "from function", {"tool": "calc"}

    actions.passthrough_fn = passthrough
    result = await actions.generate_user_intent(events=[events.user("2+2")], context={})
    update, message = result.events
    assert update["type"] == "ContextUpdate"
    assert update["data"] == {"passthrough_output": {"tool": "calc"}}
    assert message["text"] == "from function" and seen["text"] == "2+2"
    assert llm.calls == []


# -- next step -----------------------------------------------------------------------------

@pytest.mark.parametrize("completion, intent", [
    ("Bot intent: explain return policy", "explain return policy"),
    ('bot express greeting "Hello there"', "express greeting"),
    ("bot offer help, then ask", "offer help"),
    ("I am not sure", "general response"),
])
async def test_next_step_parsing(config_factory, events, completion, intent):
    actions, llm = await make_actions(store_config(config_factory), [completion])
    history = [events.user("can I return shoes?"), events.intent("ask about returns")]
    result = await actions.generate_next_step(events=history)
    assert only_event(result, "BotIntent")["intent"] == intent
    prompt = llm.prompts[0]
    assert "User intent: ask about returns\nBot intent: explain return policy" in prompt
    assert "create_event" not in prompt  # system flows are not examples
    assert 'User message: "can I return shoes?"' not in prompt  # texts removed


async def test_next_step_only_after_a_user_intent(config_factory, events):
    actions, llm = await make_actions(store_config(config_factory), [])
    result = await actions.generate_next_step(events=[events.intent("x"), events.bot("y")])
    assert result.events is None and result.return_value is None
    assert llm.calls == []


async def test_next_step_without_a_model_names_the_intent(config_factory, events):
    actions, _ = await make_actions(store_config(config_factory))
    with pytest.raises(ModelRequiredError, match="user intent 'ask order status'"):
        await actions.generate_next_step(events=[events.intent("ask order status")])


# -- bot message ---------------------------------------------------------------------------

async def test_predefined_message_renders_variables_and_skips_output_rails(config_factory,
                                                                           events):
    actions, llm = await make_actions(store_config(config_factory), [])
    result = await actions.generate_bot_message(
        events=[events.bot("express greeting")], context={"name": "Ada"})
    assert only_event(result, "BotMessage")["text"] == "Hello Ada!"
    assert result.context_updates == {"skip_output_rails": True}
    actions.choose_variant = lambda variants: variants[1]
    jinja = await actions.generate_bot_message(events=[events.bot("express greeting")],
                                               context={"name": "ada"})
    assert only_event(jinja, "BotMessage")["text"] == "Hi ADA!"
    unknown = await actions.generate_bot_message(events=[events.bot("express greeting")],
                                                 context={})
    assert only_event(unknown, "BotMessage")["text"] == "Hi !"
    assert llm.calls == []


async def test_predefined_message_turns_backslash_n_into_newlines(config_factory, events):
    actions, _ = await make_actions(store_config(config_factory), [])
    result = await actions.generate_bot_message(events=[events.bot("explain return policy")],
                                                context={})
    assert only_event(result, "BotMessage")["text"] == "Returns within 30 days.\nKeep the receipt."


async def test_message_from_a_variable(config_factory, events):
    actions, _ = await make_actions(store_config(config_factory), [])
    result = await actions.generate_bot_message(events=[events.bot("$answer")],
                                                context={"answer": "42 it is"})
    assert only_event(result, "BotMessage")["text"] == "42 it is"
    assert "skip_output_rails" not in result.context_updates


async def test_llm_message_is_post_processed_and_prompt_recorded(config_factory, events):
    completion = 'Bot message: "Our team can\nhelp you."\nuser "thanks"'
    actions, llm = await make_actions(store_config(config_factory), [completion])
    history = [events.user("help?"), events.intent("ask help"),
               {"type": "ContextUpdate", "data": {"relevant_chunks": " Team hours: 9-5 "}},
               events.bot("offer help", instructions="mention the team")]
    result = await actions.generate_bot_message(events=history,
                                                context={"generation_options": {
                                                    "llm_params": {"seed": 3}}})
    assert only_event(result, "BotMessage")["text"] == "Our team can\nhelp you."
    prompt = llm.prompts[0]
    assert result.context_updates["_last_bot_prompt"] == prompt
    assert "Team hours: 9-5" in prompt
    assert prompt.rstrip().endswith("# mention the team\nBot intent: offer help")
    assert llm.calls[0]["kwargs"] == {"seed": 3}


async def test_empty_llm_message_becomes_the_fixed_fallback(config_factory, events):
    actions, _ = await make_actions(store_config(config_factory), ["   "])
    result = await actions.generate_bot_message(events=[events.bot("offer help")], context={})
    assert only_event(result, "BotMessage")["text"] == "I'm not sure what to say."


async def test_bot_message_without_a_model_says_to_predefine_it(config_factory, events):
    actions, _ = await make_actions(store_config(config_factory))
    with pytest.raises(ModelRequiredError, match="predefine the bot message 'offer help'"):
        await actions.generate_bot_message(events=[events.bot("offer help")], context={})


async def test_streamed_bot_message_shows_only_the_words(config_factory, events):
    actions, _ = await make_actions(store_config(config_factory),
                                    ['Bot message: "Happy to help you."'])
    tokens = []

    async def on_token(token):
        tokens.append(token)

    handle = streaming_handler.set(on_token)
    try:
        result = await actions.generate_bot_message(events=[events.bot("offer help")],
                                                    context={})
    finally:
        streaming_handler.reset(handle)
    assert "".join(tokens) == "Happy to help you."
    assert only_event(result, "BotMessage")["text"] == "Happy to help you."


async def test_passthrough_bot_message_prompts_with_the_user_message(config_factory, events):
    actions, llm = await make_actions(store_config(config_factory, "passthrough: true"),
                                      ["direct answer"])
    result = await actions.generate_bot_message(events=[events.bot("offer help")],
                                                context={"user_message": "rewritten input"})
    assert only_event(result, "BotMessage")["text"] == "direct answer"
    assert llm.prompts == ["rewritten input"]


# -- values --------------------------------------------------------------------------------

@pytest.mark.parametrize("completion, value", [
    ('"Paris"', "Paris"), ("42;", 42), ('["a", "b"]\nmore text', ["a", "b"]),
])
async def test_generate_value_parses_a_literal(config_factory, events, completion, value):
    actions, llm = await make_actions(store_config(config_factory), [completion])
    history = [events.user("weather in paris?"), events.action("generate_value", "city")]
    assert await actions.generate_value(instructions="the city", events=history) == value
    prompt = llm.prompts[0]
    assert prompt.endswith("# the city\n$city =")
    assert '$city = "Paris"' in prompt  # flows assigning the variable are examples


async def test_generate_value_rejects_a_non_literal_answer(config_factory, events):
    actions, _ = await make_actions(store_config(config_factory), ["Paris, France"])
    with pytest.raises(ActionError, match=r"\$city is not a Python literal.*Paris, France"):
        await actions.generate_value(instructions="the city",
                                     events=[events.action("generate_value", "city")])


# -- single call ---------------------------------------------------------------------------

async def test_single_call_predicts_intent_next_step_and_message(config_factory, events):
    config = store_config(config_factory, """
rails:
  dialog:
    single_call:
      enabled: true
""")
    completion = '  ask about returns\nbot describe returns\n  "You have 30 days."\n'
    actions, llm = await make_actions(config, [completion])
    history = [events.user("can I return shoes?")]
    result = await actions.generate_user_intent(events=history, context={})
    intent_event = only_event(result, "UserIntent")
    assert intent_event["intent"] == "ask about returns"
    prompt = llm.prompts[0]
    assert ('user "can I return shoes?"\n  ask about returns\nbot explain return policy\n'
            '  "Returns within 30 days.\\nKeep the receipt."') in prompt
    history.append(intent_event)
    step = await actions.generate_next_step(events=history)
    assert only_event(step, "BotIntent")["intent"] == "describe returns"
    message = await actions.generate_bot_message(
        events=history + [events.bot("describe returns")], context={})
    assert only_event(message, "BotMessage")["text"] == "You have 30 days."
    assert len(llm.calls) == 1
    # a bot intent other than the predicted one is not answered with the predicted text
    with pytest.raises(Exception, match="ran out of responses"):
        await actions.generate_bot_message(events=history + [events.bot("offer help")],
                                           context={})


# -- multi-step and retrieval ----------------------------------------------------------------

async def test_multi_step_generation_emits_start_flow(config_factory, events):
    actions, _ = await make_actions(
        store_config(config_factory, "enable_multi_step_generation: true"),
        ["bot acknowledge\nbot explain return policy"])
    result = await actions.generate_next_step(events=[events.intent("ask about returns")])
    event = only_event(result, "start_flow")
    assert event["flow_body"] == "bot acknowledge\nbot explain return policy"
    assert event["flow_id"]


class FakeKB:
    def __init__(self):
        self.queries = []

    async def search_relevant_chunks(self, text, max_results=3):
        self.queries.append(text)
        return [{"title": "Returns", "body": "30 days"}, {"title": "Fees", "body": "free"}]


async def test_retrieve_relevant_chunks_with_and_without_a_kb(config_factory):
    actions, _ = await make_actions(store_config(config_factory), [])
    kb = FakeKB()
    found = await actions.retrieve_relevant_chunks(context={"last_user_message": "returns?"},
                                                   kb=kb)
    assert found.return_value == "30 days\nfree"
    assert found.context_updates == {"relevant_chunks": "30 days\nfree",
                                     "relevant_chunks_sep": ["30 days", "free"],
                                     "retrieved_for": "returns?"}
    kept = await actions.retrieve_relevant_chunks(context={"relevant_chunks": "old"}, kb=None)
    assert kept.context_updates == {"relevant_chunks": "old\n", "relevant_chunks_sep": [],
                                    "retrieved_for": None}


async def test_general_mode_uses_kb_chunks(config_factory, events):
    actions, llm = await make_actions(config_factory("""
prompts:
  - task: general
    content: "{{ relevant_chunks }}|{{ history | user_assistant_sequence }}"
"""), ["answer"])
    await actions.generate_user_intent(events=[events.user("returns?")], context={},
                                       kb=FakeKB())
    assert llm.prompts[0] == "30 days\nfree|User: returns?"


async def test_predefined_messages_render_in_a_sandbox(config_factory, events):
    from jinja2.exceptions import SecurityError

    config = config_factory("""
bot_messages:
  leak:
    - "{{ ''.__class__.__mro__[1].__subclasses__() }}"
""")
    actions, _ = await make_actions(config, [])
    with pytest.raises(SecurityError):
        await actions.generate_bot_message(events=[events.bot("leak")], context={})


async def test_under_pytest_the_first_variant_is_always_chosen(config_factory, events):
    # As NeMo does: users' test suites written against it expect the first variant.
    config = config_factory("""
bot_messages:
  hello:
    - "one"
    - "two"
""")
    actions = LLMGenerationActions(config, None)
    await actions.init()
    for _ in range(20):
        result = await actions.generate_bot_message(events=[events.bot("hello")], context={})
        assert result.events[0]["text"] == "one"


def test_outside_pytest_the_variant_is_chosen_at_random():
    import subprocess
    import sys

    script = (
        "from rails import LLMRails, RailsConfig\n"
        "config = RailsConfig.from_content(colang_content='define user hi\\n  \"hi\"\\n\\n"
        "define bot hello\\n  \"one\"\\n  \"two\"\\n\\ndefine flow\\n  user hi\\n"
        "  bot hello\\n')\n"
        "app = LLMRails(config)\n"
        "print(sorted({app.generate(messages=[{'role': 'user', 'content': 'hi'}])['content']"
        " for _ in range(60)}))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['one', 'two']"


async def test_simple_references_and_jinja_render_alike(config_factory, events):
    config = config_factory("""
bot_messages:
  plain:
    - "Total: $total, note: $note, missing: ($nothing)"
  templated:
    - "Total: {{ total }}, note: {{ note }}, missing: ({{ nothing }})"
  bad:
    - "$a$b"
""")
    actions, _ = await make_actions(config, [])
    context = {"total": 3.5, "note": None}
    texts = []
    for name in ("plain", "templated"):
        result = await actions.generate_bot_message(events=[events.bot(name)], context=context)
        texts.append(result.events[0]["text"])
    assert texts == ["Total: 3.5, note: None, missing: ()"] * 2
    with pytest.raises(ValueError, match="not a valid template"):
        await actions.generate_bot_message(events=[events.bot("bad")], context={})


def test_passthrough_end_to_end_sends_the_user_text_unchanged():
    from rails import LLMRails, RailsConfig

    llm = FakeLLM(responses=["model says hi"])
    app = LLMRails(RailsConfig.from_content(yaml_content="passthrough: true\n"), llm=llm)
    assert app.generate(prompt="exactly this text") == "model says hi"
    assert llm.prompts == ["exactly this text"]
