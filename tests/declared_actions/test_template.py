"""Rendering is plain substitution: values are text, never rendered again."""
from __future__ import annotations

import pytest

from rails.actions.declared import ActionInputError, LLMAction
from rails.actions.declared.template import MAX_PROMPT_CHARS, parse_template


def test_placeholders_with_spaces_repeats_and_literal_braces():
    template = parse_template('{"a": {"b": {{x}}}} and {{ y }}, {{x}} {{{x}}}')
    assert template.placeholders == ("x", "y")
    assert template.render({"x": 1, "y": "two"}) == '{"a": {"b": 1}} and two, 1 {1}'


def test_values_are_inserted_as_text_and_never_rendered_again():
    action = LLMAction.from_dict({"action_name": "a", "kind": "llm",
                                  "template": "Role: {{role}}\nText: {{text}}"})
    hostile = "{{role}} }} {{ text }} {% raw %} ${secret} {{"
    prompt = action.render({"role": "clerk", "text": hostile})
    assert prompt == f"Role: clerk\nText: {hostile}"


def test_non_string_values_are_json():
    action = LLMAction.from_dict({"action_name": "a", "kind": "llm", "template": "{{v}}"})
    assert action.render({"v": {"k": [1, True, None]}}) == '{"k": [1, true, null]}'
    assert action.render({"v": 0}) == "0"


def test_a_missing_placeholder_is_named():
    action = LLMAction.from_dict({"action_name": "draft", "kind": "llm",
                                  "template": "{{role}} at {{company}}"})
    with pytest.raises(ActionInputError) as caught:
        action.render({"role": "clerk"})
    assert caught.value.parameter == "company"
    assert "{{company}}" in str(caught.value) and "draft" in str(caught.value)
    with pytest.raises(ActionInputError, match="{{company}}"):
        action.render({"role": "clerk", "company": None})


def test_a_value_for_no_placeholder_is_named():
    action = LLMAction.from_dict({"action_name": "a", "kind": "llm", "template": "{{text}}"})
    with pytest.raises(ActionInputError) as caught:
        action.render({"text": "x", "txet": "y"})
    assert caught.value.parameter == "txet" and "placeholders: text" in str(caught.value)


def test_a_prompt_over_the_limit_is_refused():
    action = LLMAction.from_dict({"action_name": "a", "kind": "llm", "template": "{{text}}"})
    with pytest.raises(ActionInputError, match="limit"):
        action.render({"text": "x" * (MAX_PROMPT_CHARS + 1)})
