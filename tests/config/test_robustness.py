"""Whatever a YAML file holds, loading gives a RailsConfig or a ConfigError, nothing else."""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rails import RailsConfig
from rails.errors import ConfigError

KEYS = ["models", "rails", "input", "output", "flows", "dialog", "single_call", "enabled",
        "prompts", "task", "content", "messages", "type", "engine", "model", "parameters",
        "instructions", "user_messages", "bot_messages", "custom_data", "colang_version",
        "lowest_temperature", "passthrough", "import_paths", "actions_server", "errors",
        "knowledge_base", "core", "embedding_search_provider", "name", "docs", "streaming",
        "sample_conversation", "tracing", "unknown"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(-2, 2),
                    st.sampled_from(["", "1.0", "2.x", "main", "self check input", "x"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=12)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=5)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_yaml_gives_a_config_or_a_config_error(document):
    text = yaml.safe_dump(document)
    try:
        config = RailsConfig.from_content(yaml_content=text)
    except ConfigError as error:
        assert error.file == "<yaml_content>" or error.file is None or error.key
        assert str(error)
    else:
        assert isinstance(config, RailsConfig)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gives_a_config_or_a_config_error(text):
    try:
        RailsConfig.from_content(yaml_content=text)
    except ConfigError:
        pass
