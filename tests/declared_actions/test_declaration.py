"""Declarations: the seed's fields, their defaults, and every bad value named by its field."""
from __future__ import annotations

import pytest

from rails.actions.declared import DeclarationError, LLMAction, parse_declaration
from rails.actions.declared.template import MAX_TEMPLATE_CHARS
from tests.declared_actions.conftest import SEED_DECLARATION as SEED

def fields_of(error: DeclarationError) -> list[str]:
    return [field for field, _ in error.problems]


def test_the_seeds_declaration_with_its_defaults():
    declaration = parse_declaration(SEED)
    assert declaration.action_name == "summarize_document"
    assert declaration.placeholders == ("document_text",)
    assert (declaration.max_tokens, declaration.temperature) == (500, 0.7)
    assert declaration.output_key == "summary" and declaration.model == "gpt-4"
    minimal = parse_declaration({"action_name": "a", "kind": "llm", "template": "{{x}}"})
    assert (minimal.max_tokens, minimal.temperature, minimal.model) == (1024, 0.7, None)
    assert minimal.output_format == "text" and minimal.output_key is None


def test_to_dict_round_trips():
    declaration = parse_declaration({**SEED, "output_schema": {"type": "object"}})
    assert declaration.output_format == "json"
    assert parse_declaration(declaration.to_dict()) == declaration


def test_placeholders_become_the_parameter_schema_and_metadata():
    action = LLMAction.from_dict({
        "action_name": "draft_reply", "kind": "llm", "description": "Draft a reply",
        "template": "You are a {{role}} at {{ company }}.\n\n{{complaint_text}} {{role}}"})
    schema = action.meta()["parameters"]
    assert schema["required"] == ["role", "company", "complaint_text"]
    assert set(schema["properties"]) == {"role", "company", "complaint_text"}
    assert schema["additionalProperties"] is False
    meta = action.meta()
    assert meta["name"] == "draft_reply" and meta["description"] == "Draft a reply"
    assert meta["read_only"] is True and meta["destructive"] is False


@pytest.mark.parametrize("change, field, words", [
    ({"kind": "python"}, "kind", 'must be "llm"'),
    ({"kind": None}, "kind", "is required"),
    ({"template": None}, "template", "is required"),
    ({"template": "   "}, "template", "is empty"),
    ({"template": "hello {{document text}}"}, "template", "{{document_text}}"),
    ({"template": "hello {{document"}, "template", "never closed"),
    ({"template": "about {{context}}"}, "template", "engine fills in"),
    ({"temperature": 1.5}, "temperature", "at most 1"),
    ({"temperature": -0.1}, "temperature", "at least 0"),
    ({"temperature": "hot"}, "temperature", "expected a number"),
    ({"temperature": True}, "temperature", "expected a number"),
    ({"max_tokens": 0}, "max_tokens", "between 1 and"),
    ({"max_tokens": 2.5}, "max_tokens", "whole number"),
    ({"action_name": "has space"}, "action_name", "not a valid name"),
    ({"action_name": "run"}, "action_name", "reserved"),
    ({"action_name": 7}, "action_name", "expected a string"),
    ({"outputKey": "my-key"}, "outputKey", "not a variable name"),
    ({"output_key": "summary"}, "output_key", "did you mean 'outputKey'"),
    ({"temprature": 0.2}, "temprature", "did you mean 'temperature'"),
    ({"model": ""}, "model", "is empty"),
    ({"output_format": "xml"}, "output_format", '"text" or "json"'),
    ({"output_schema": {"type": "no-such-type"}}, "output_schema", "not a valid JSON schema"),
    ({"output_format": "text", "output_schema": {"type": "object"}}, "output_schema",
     'needs output_format "json"'),
    ({"timeout": 0}, "timeout", "more than 0"),
    ({"validate": "$a ==="}, "validate", "not a valid condition"),
])
def test_bad_fields_are_named(change, field, words):
    with pytest.raises(DeclarationError) as caught:
        parse_declaration({**SEED, **change})
    assert fields_of(caught.value)[0] == field
    assert words in caught.value.problems[0][1]
    assert field in str(caught.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(DeclarationError) as caught:
        parse_declaration({"action_name": "x", "kind": "llm", "template": "{{a}}",
                           "temperature": 3, "max_tokens": -1, "colour": "red"})
    assert set(fields_of(caught.value)) == {"temperature", "max_tokens", "colour"}


def test_a_template_over_the_size_limit_is_refused():
    with pytest.raises(DeclarationError) as caught:
        parse_declaration({**SEED, "template": "x" * (MAX_TEMPLATE_CHARS + 1) + "{{a}}"})
    assert caught.value.field == "template" and "limit" in caught.value.message


def test_a_name_in_the_path_must_agree_with_the_body():
    assert parse_declaration({k: v for k, v in SEED.items() if k != "action_name"},
                             name="summarize_document").action_name == "summarize_document"
    with pytest.raises(DeclarationError) as caught:
        parse_declaration(SEED, name="other")
    assert caught.value.field == "action_name" and "differs" in caught.value.message


def test_a_body_that_is_not_an_object():
    with pytest.raises(DeclarationError, match="JSON object, not a list"):
        parse_declaration([SEED])
