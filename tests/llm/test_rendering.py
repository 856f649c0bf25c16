"""Rendering task prompts (spec §6.2): variables, messages prompts, max_length trimming, the
sandbox, custom filters, parsers and prompt context."""
from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError

from rails.errors import ConfigError
from rails.llm.taskmanager import LLMTaskManager, PromptTooLongError


def manager(config_factory, prompts_yaml: str, **extra) -> LLMTaskManager:
    return LLMTaskManager(config_factory(prompts_yaml, **extra))


def test_content_prompt_sees_instructions_sample_history_and_only_passed_context(
        config_factory, events):
    tm = manager(config_factory, """
        instructions:
          - type: general
            content: Be helpful.
        sample_conversation: 'user "hi"'
        prompts:
          - task: t
            content: "{{ general_instructions }}|{{ sample_conversation }}|{{ history | colang }}|{{ x }}|{{ secret }}"
    """)
    rendered = tm.render_task_prompt("t", context={"x": 1}, events=[events.user("hey")])
    assert rendered == 'Be helpful.|user "hi"|user "hey"\n|1|'


def test_messages_prompt_drops_empty_messages_and_expands_list_templates(config_factory, events):
    tm = manager(config_factory, """
        prompts:
          - task: t
            messages:
              - type: system
                content: "rules"
              - type: system
                content: "{% if extra %}{{ extra }}{% endif %}"
              - "{{ history | colang | to_messages }}"
    """)
    rendered = tm.render_task_prompt("t", events=[events.user("hey"), events.intent("greet")])
    assert rendered == [{"type": "system", "content": "rules"},
                        {"type": "user", "content": "hey"},
                        {"type": "assistant", "content": "User intent: greet"}]


def test_messages_template_that_is_not_a_list_is_a_clear_error(config_factory):
    tm = manager(config_factory, """
        prompts:
          - task: t
            messages:
              - "not a list"
    """)
    with pytest.raises(ConfigError, match="task 't' must render to a list"):
        tm.render_task_prompt("t")


def test_force_string_to_message(config_factory):
    tm = manager(config_factory, "prompts:\n  - task: t\n    content: hello\n")
    assert tm.render_task_prompt("t", force_string_to_message=True) == [
        {"type": "user", "content": "hello"}]


def test_max_length_drops_oldest_events_until_the_prompt_fits(config_factory, events):
    tm = manager(config_factory, """
        prompts:
          - task: t
            content: "{{ history | colang }}"
            max_length: 30
    """)
    history = [events.user("first message here"), events.user("second"), events.user("third")]
    assert tm.render_task_prompt("t", events=history) == 'user "second"\nuser "third"\n'


def test_max_length_error_when_even_an_empty_history_is_too_long(config_factory, events):
    tm = manager(config_factory, """
        prompts:
          - task: t
            content: "a long fixed text {{ history | colang }}"
            max_length: 5
    """)
    with pytest.raises(PromptTooLongError, match="max_length of 5"):
        tm.render_task_prompt("t", events=[events.user("x")])


def test_sandbox_refuses_unsafe_attribute_access(config_factory):
    tm = manager(config_factory, """
        prompts:
          - task: t
            content: "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    """)
    with pytest.raises(SecurityError):
        tm.render_task_prompt("t")


def test_registered_filter_parser_and_prompt_context(config_factory):
    tm = manager(config_factory, """
        prompts:
          - task: t
            content: "{{ name | shout }} {{ now }} {{ fixed }}"
            output_parser: first_word
    """)
    tm.register_filter(lambda text: text.upper(), "shout")
    tm.register_prompt_context("now", lambda: "computed")
    tm.register_prompt_context("fixed", 42)
    assert tm.render_task_prompt("t", context={"name": "bob"}) == "BOB computed 42"
    tm.register_output_parser(lambda text: text.split()[0], "first_word")
    assert tm.parse_task_output("t", "hello world") == "hello"


def test_filter_registered_after_a_render_is_used(config_factory):
    tm = manager(config_factory, "prompts:\n  - task: t\n    content: '{{ 1 | f }}'\n")
    tm.register_filter(lambda v: "one", "f")
    assert tm.render_task_prompt("t") == "one"
    tm.register_filter(lambda v: "uno", "f")
    assert tm.render_task_prompt("t") == "uno"


def test_unknown_output_parser_is_a_clear_error(config_factory):
    tm = manager(config_factory, """
        prompts:
          - task: t
            content: x
            output_parser: nope
    """)
    with pytest.raises(ConfigError, match="output parser 'nope'"):
        tm.parse_task_output("t", "out")


def test_stop_and_max_tokens_come_from_the_prompt(config_factory):
    tm = manager(config_factory, """
        prompts:
          - task: self_check_input
            content: "Block? {{ user_input }}"
            stop: ["\\n"]
            max_tokens: 5
    """)
    assert tm.get_stop_tokens("self_check_input") == ["\n"]
    assert tm.get_max_tokens("self_check_input") == 5
    assert tm.get_stop_tokens("general") is None


def test_builtin_user_intent_prompt_ends_with_the_user_message(config_factory, events):
    tm = LLMTaskManager(config_factory())
    prompt = tm.render_task_prompt(
        "generate_user_intent", events=[events.user("where is my parcel?")],
        context={"examples": 'user "hi"\n  express greeting\n\n',
                 "potential_user_intents": "express greeting"})
    assert prompt.rstrip().endswith('User message: "where is my parcel?"')
    assert "express greeting" in prompt
    value_prompt = tm.render_task_prompt("generate_value", events=[events.user("x")],
                                         context={"instructions": "the city", "var_name": "city",
                                                  "examples": ""})
    assert value_prompt.endswith("# the city\n$city =")


def test_trimming_drops_exactly_the_fewest_events_in_long_histories(config_factory, events):
    tm = manager(config_factory, """
        prompts:
          - task: t
            content: "{{ history | colang }}"
            max_length: 200
    """)
    history = [events.user(f"message number {i:04d}") for i in range(3000)]
    rendered = tm.render_task_prompt("t", events=history)
    assert len(rendered) <= 200
    kept = rendered.count("\n")
    # one more event would not fit
    longer = 'user "message number 0000"\n' + rendered
    assert len(longer) > 200
    assert rendered.endswith('user "message number 2999"\n') and kept == 200 // 27
