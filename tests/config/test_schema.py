"""The config sections' schema (rails/config/schema.py), which stands in for pydantic: lax
conversions, extra keys, validated assignment, dump and copy, every problem reported."""
from __future__ import annotations

import copy
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from rails import RailsConfig
from rails.config import DialogRails, MessageTemplate, Model, Rails, TaskPrompt
from rails.config.schema import Section, ValidationError, field
from rails.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def config_error(obj: dict) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        RailsConfig.parse_object(obj)
    return caught.value


# -- conversions (pydantic v2 lax mode) -------------------------------------------------------

@pytest.mark.parametrize("given, expected", [
    (True, True), ("true", True), ("Yes", True), ("on", True), ("1", True), ("y", True),
    (1, True), (1.0, True), (False, False), ("false", False), ("NO", False), ("off", False),
    ("0", False), ("n", False), (0, False)])
def test_booleans_accept_yaml_and_env_spellings(given, expected):
    assert RailsConfig.parse_object({"streaming": given}).streaming is expected


@pytest.mark.parametrize("given", [2, -1, 0.5, "maybe", " true", "", None, [], {}])
def test_other_values_are_not_booleans(given):
    error = config_error({"streaming": given})
    assert error.key == "streaming" and error.message == f"expected true or false, got {given!r}"


@pytest.mark.parametrize("given, expected", [(3, 3), (3.0, 3), ("3", 3), (" 3 ", 3),
                                             ("3.0", 3), ("1_000", 1000), (True, 1)])
def test_integers_from_integral_numbers_and_text(given, expected):
    prompt = {"task": "t", "content": "c", "max_tokens": given}
    value = RailsConfig.parse_object({"prompts": [prompt]}).prompts[0].max_tokens
    assert value == expected and type(value) is int


@pytest.mark.parametrize("given", [1.5, "1.5", "ten", "1e3", [3]])
def test_non_integral_values_are_not_integers(given):
    error = config_error({"prompts": [{"task": "t", "content": "c", "max_tokens": given}]})
    assert error.key == "prompts[0].max_tokens" and error.message.startswith("expected a number")


def test_infinite_integer_names_the_problem():
    error = config_error({"actions_server": {"retries": float("inf")}})
    assert error.message == "Input should be a finite number"


@pytest.mark.parametrize("given, expected", [(1, 1.0), ("0.5", 0.5), (" 2 ", 2.0),
                                             ("1e-3", 0.001), (False, 0.0)])
def test_floats_from_numbers_and_text(given, expected):
    value = RailsConfig.parse_object({"lowest_temperature": given}).lowest_temperature
    assert value == expected and type(value) is float


def test_text_stays_strict():
    error = config_error({"models": [{"type": "main", "engine": 5}]})
    assert error.key == "models[0].engine" and error.message == "expected a string, got a number (5)"
    assert config_error({"prompting_mode": True}).message == \
        "expected a string, got a boolean (True)"


def test_lists_from_lists_and_tuples_and_dicts_keep_their_item_types():
    config = RailsConfig.parse_object({"rails": {"input": {"flows": ("a", "b")}},
                                       "user_messages": {"greet": ["hi", "hello"]}})
    assert config.rails.input.flows == ["a", "b"] and type(config.rails.input.flows) is list
    error = config_error({"user_messages": {"greet": ["hi", 5]}})
    assert error.key == "user_messages.greet[1]"
    assert config_error({"user_messages": {3: ["x"]}}).key == "user_messages[3]"


def test_optional_values_accept_null_and_union_members_are_tried_in_order():
    config = RailsConfig.parse_object({"passthrough": None, "prompts": [
        {"task": "general", "messages": [{"type": "system", "content": "be brief"}, "{{ x }}"]}]})
    assert config.passthrough is None
    template, text = config.prompts[0].messages
    assert isinstance(template, MessageTemplate) and template.content == "be brief"
    assert text == "{{ x }}"


def test_a_value_fitting_no_union_member_reads_as_one_problem():
    error = config_error({"prompts": [{"task": "t", "messages": [1]}]})
    assert error.key == "prompts[0].messages[0]"
    assert error.message == "expected a mapping or a string, got a number (1)"
    # A mapping goes into the section: its own problem is the one that explains.
    error = config_error({"prompts": [{"task": "t", "messages": [{"type": "user"}]}]})
    assert error.key == "prompts[0].messages[0].content" and error.message == \
        "required key is missing"


def test_nested_mappings_become_sections_and_defaults_are_fresh():
    config = RailsConfig.parse_object({"rails": {"dialog": {"single_call": {"enabled": "yes"}}}})
    assert isinstance(config.rails, Rails) and isinstance(config.rails.dialog, DialogRails)
    assert config.rails.dialog.single_call.enabled is True
    assert config.rails.dialog.single_call.fallback_to_multiple_calls is True  # default
    first, second = Rails(), Rails()
    first.input.flows.append("x")
    assert second.input.flows == [] and first.config is not second.config


def test_keyword_construction_and_required_fields():
    model = Model(type="main", engine="openai", model="x")
    assert (model.type, model.engine, model.model, model.parameters) == \
        ("main", "openai", "x", {})
    with pytest.raises(ValidationError) as caught:
        Model(type="main")
    assert [(p.loc, p.kind) for p in caught.value.problems] == [(("engine",), "missing")]
    assert isinstance(caught.value, ValueError)  # as pydantic's ValidationError is


def test_model_validate_keeps_section_instances():
    model = Model(type="main", engine="e")
    config = RailsConfig(models=[model])
    assert config.models[0] is model
    assert RailsConfig.model_validate(config) is config
    assert Model.parse_obj({"type": "main", "engine": "e"}) == model


# -- extra keys -------------------------------------------------------------------------------

def test_sections_keep_unknown_keys_as_attributes_and_in_the_dump():
    config = RailsConfig.parse_object({"rails": {"input": {"flows": [], "later_key": True},
                                                 "config": {"my_rail": {"level": 2}}}})
    assert config.rails.input.later_key is True
    assert config.rails.input.model_extra == {"later_key": True}
    assert config.rails.config.my_rail == {"level": 2}
    assert config.model_dump()["rails"]["input"] == {"flows": [], "parallel": False,
                                                     "later_key": True}
    config.rails.input.added_later = "x"
    assert config.rails.input.model_extra == {"later_key": True, "added_later": "x"}
    with pytest.raises(AttributeError):
        config.rails.input.missing  # noqa: B018


def test_strict_sections_and_the_top_level_reject_unknown_keys():
    assert RailsConfig().model_extra is None
    with pytest.raises(ValidationError, match="bogus: unknown key"):
        RailsConfig().errors.bogus = 1
    with pytest.raises(ValidationError):
        RailsConfig().modles = []
    error = config_error({"modles": [], "errors": {"propagte": True}})
    assert str(error).splitlines() == ["errors.propagte: unknown key; did you mean 'propagate'?",
                                       "  modles: unknown key; did you mean 'models'?"]


# -- validated assignment ---------------------------------------------------------------------

def test_assignment_converts_and_validates():
    config = RailsConfig()
    config.rails.dialog = {"user_messages": {"embeddings_only": "true"}}
    config.rails.dialog.single_call.enabled = "on"
    config.lowest_temperature = 1
    config.rails.input.flows = ("a",)
    assert config.rails.dialog.single_call.enabled is True
    assert config.lowest_temperature == 1.0 and type(config.lowest_temperature) is float
    assert config.rails.input.flows == ["a"]
    assert isinstance(config.rails.dialog, DialogRails)
    assert config.rails.dialog.user_messages.embeddings_only is True


@pytest.mark.parametrize("path, name, value, message", [
    ("rails.dialog.single_call", "enabled", "sometimes",
     "enabled: expected true or false, got 'sometimes'"),
    ("actions_server", "timeout", 0, "timeout: Input should be greater than 0"),
    ("rails.dialog.user_messages", "embeddings_only_similarity_threshold", 2,
     "Input should be less than or equal to 1"),
    ("", "colang_version", "2.x", "Colang 2.x is not supported yet"),
    ("", "models", [{"type": "main"}], "models[0].engine: required key is missing"),
])
def test_a_failed_assignment_raises_and_changes_nothing(path, name, value, message):
    config = RailsConfig()
    target = config
    for part in filter(None, path.split(".")):
        target = getattr(target, part)
    before = getattr(target, name)
    with pytest.raises(ValidationError) as caught:
        setattr(target, name, value)
    assert message in str(caught.value) and "validation error" in str(caught.value)
    assert getattr(target, name) == before


def test_checks_across_fields_run_on_assignment_too():
    prompt = TaskPrompt(task="t", content="c")
    with pytest.raises(ValidationError, match="needs `content` or `messages`"):
        prompt.content = None
    assert prompt.content == "c"
    prompt.messages = None  # still valid: content is there
    with pytest.raises(ValidationError, match="has both"):
        prompt.messages = ["{{ x }}"]


# -- dump, copy, equality ---------------------------------------------------------------------

def _only_plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _only_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_only_plain(item) for item in value)
    return value is None or isinstance(value, (str, int, float, bool))


def test_model_dump_is_plain_data_all_the_way_down():
    config = RailsConfig.parse_object({
        "models": [{"type": "main", "engine": "e", "parameters": {"t": [1, {"a": 2}]}}],
        "prompts": [{"task": "t", "messages": [{"type": "system", "content": "x"}, "y"]}]})
    dumped = config.model_dump()
    assert _only_plain(dumped)
    assert list(dumped) == list(RailsConfig.model_fields)
    assert dumped["prompts"][0]["messages"] == [{"type": "system", "content": "x"}, "y"]
    assert RailsConfig.parse_object(dumped) == config
    assert config.dict() == dumped  # pydantic v1 name
    dumped["models"][0]["parameters"]["t"].append(3)  # the dump is a copy
    assert config.models[0].parameters["t"] == [1, {"a": 2}]
    assert "docs" not in config.model_dump(exclude_none=True)


def test_copies():
    config = RailsConfig.parse_object({"rails": {"input": {"flows": ["a"], "parallel": True}}})
    shallow = config.model_copy()
    deep = config.model_copy(deep=True)
    assert shallow == config == deep and shallow is not config
    assert shallow.rails is config.rails and deep.rails is not config.rails
    deep.rails.input.flows.append("b")
    deep.rails.input.parallel = False
    assert config.rails.input.flows == ["a"] and config.rails.input.parallel is True
    assert deep != config
    updated = config.model_copy(update={"streaming": True})
    assert updated.streaming is True and config.streaming is False
    cloned = copy.deepcopy(config)
    assert cloned == config and cloned.rails.input is not config.rails.input
    assert pickle.loads(pickle.dumps(config)) == config


def test_equality_repr_and_iteration():
    model = Model(type="main", engine="e", note="kept")
    assert model == Model(type="main", engine="e", note="kept")
    assert model != Model(type="main", engine="e")
    assert model != Model(type="main", engine="other", note="kept")
    assert repr(model) == ("Model(type='main', engine='e', model=None, api_key_env_var=None, "
                           "mode=None, parameters={}, note='kept')")
    assert dict(model)["note"] == "kept"
    assert list(type(Rails().input).model_fields) == ["flows", "parallel"]
    assert not RailsConfig.model_fields["models"].is_required()
    assert Model.model_fields["engine"].is_required()


# -- every problem, with its location ---------------------------------------------------------

def test_all_problems_of_one_validation_are_collected_in_order():
    with pytest.raises(ValidationError) as caught:
        RailsConfig.model_validate({
            "models": [{"type": "main", "engine": ["x"]}, {"engine": "e"}],
            "rails": {"input": {"flows": "self check input"}},
            "streaming": "maybe", "unknown": 1})
    problems = caught.value.problems
    assert [(p.loc, p.kind) for p in problems] == [
        (("models", 0, "engine"), "string_type"), (("models", 1, "type"), "missing"),
        (("rails", "input", "flows"), "list_type"), (("streaming",), "bool_parsing"),
        (("unknown",), "extra_forbidden")]
    assert problems[0].input == ["x"] and problems[3].input == "maybe"
    errors = caught.value.errors()
    assert errors[2] == {"type": "list_type", "loc": ("rails", "input", "flows"),
                         "msg": "expected a list of flow names, got a string",
                         "input": "self check input"}


def test_config_errors_list_every_problem_under_the_first_key():
    error = config_error({"streaming": "maybe", "prompting_mode": ["x"],
                          "rails": {"Input": {"flows": 3}}, "user_messages": {"Greet": 1}})
    assert error.key == "user_messages.Greet"
    assert str(error).splitlines() == [
        "user_messages.Greet: expected a list, got a number (1)",
        "  prompting_mode: expected a string, got a list",
        "  streaming: expected true or false, got 'maybe'"]


def test_model_level_check_is_located_at_the_section():
    error = config_error({"prompts": [{"task": "t", "content": "c"}, {"task": "u"}]})
    assert error.key == "prompts[1]"
    assert error.message == "prompt for task 'u' needs `content` or `messages`"


# -- lazy resolution, other annotations -------------------------------------------------------

class _Outer(Section):
    inner: _Inner = field(default_factory=lambda: _Inner())  # defined below: resolved lazily
    note: str | None = None
    scores: dict[str, float] = field(default_factory=dict)


class _Inner(Section):
    count: int = field(default=1, ge=0)


def test_types_are_resolved_on_first_use():
    # `_Outer` names `_Inner` before it exists: defining it worked since nothing was resolved.
    outer = _Outer.model_validate({"inner": {"count": "2"}, "note": None, "scores": {"a": 1}})
    assert outer.inner.count == 2 and outer.note is None and outer.scores == {"a": 1.0}
    with pytest.raises(ValidationError) as caught:
        _Outer(inner={"count": -1}, note=3)
    assert [p.loc for p in caught.value.problems] == [("inner", "count"), ("note",)]


def test_start_up_path_imports_nothing_heavy():
    # Start-up time: pydantic, the event loop machinery, LangChain, jinja2 and the parser come
    # in when a turn (or a parse) needs them, not when a config is loaded and built.
    heavy = ("pydantic", "asyncio", "langchain_core", "jinja2", "lark", "httpx")
    code = ("import sys; from rails import LLMRails, RailsConfig; "
            f"LLMRails(RailsConfig.from_path({str(ROOT / 'config_examples/store_support')!r})); "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))")
    # Twice: the first run may fill the parse cache (which needs lark).
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                timeout=120, check=True)
    assert result.stdout.strip() == "[]"
