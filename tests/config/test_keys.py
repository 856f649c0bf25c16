"""Every config.yml key of spec §5.3 (and the keys NeMo accepts that we ignore) loads; defaults
are NeMo's; attributes can be set after loading."""
from __future__ import annotations

import pytest

from rails import RailsConfig
from rails.config import RailsConfig as DirectRailsConfig
from rails.errors import ConfigError

FULL_CONFIG = """
models:
  - type: main
    engine: openai
    model: gpt-4o-mini
    api_key_env_var: MY_KEY
    mode: chat
    parameters:
      temperature: 0.2
      base_url: http://127.0.0.1:9/v1
      anything: {nested: [1, 2]}
  - type: embeddings
    engine: openai
    model: text-embedding-3-small
  - type: self_check_input
    engine: openai
    model: small-checker
instructions:
  - type: general
    content: You answer questions about the shop.
sample_conversation: |
  user "hi"
    express greeting
  bot express greeting
    "Hello!"
prompts:
  - task: self_check_input
    content: "Is this ok? {{ user_input }}"
    output_parser: is_content_safe
    max_tokens: 3
    stop: ["\\n"]
  - task: general
    models: [openai/gpt-4o-mini]
    mode: compact
    max_length: 3000
    messages:
      - type: system
        content: be brief
      - "{{ history | colang | to_messages }}"
prompting_mode: compact
rails:
  config:
    fact_checking:
      parameters: {endpoint: http://127.0.0.1:9}
      fallback_to_self_check: true
    sensitive_data_detection:
      input: {entities: [PERSON]}
    jailbreak_detection: {server_endpoint: http://127.0.0.1:9}
    my_library_rail: {threshold: 0.5, options: [a, b]}
  input:
    flows: [self check input]
  output:
    flows: []
  retrieval:
    flows: []
  dialog:
    single_call: {enabled: false, fallback_to_multiple_calls: false}
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.7
      embeddings_only_fallback_intent: unknown question
  actions:
    instant_actions: [x]
actions_server_url: http://127.0.0.1:8001
lowest_temperature: 0.1
enable_multi_step_generation: true
colang_version: "1.0"
custom_data: {shop: ACME, limits: {max: 3}}
knowledge_base:
  folder: kb
  embedding_search_provider:
    name: default
    parameters: {embedding_engine: FastEmbed, embedding_model: all-MiniLM-L6-v2}
    cache: {enabled: false}
core:
  embedding_search_provider:
    name: default
    parameters: {embedding_engine: FastEmbed, search_threshold: 0.2, use_batching: true}
streaming: false
passthrough: false
enable_rails_exceptions: true
import_paths: []
user_messages:
  express greeting: [hi, hello]
bot_messages:
  express greeting: [Hello!]
tracing:
  enabled: false
  adapters: [{name: FileSystem}]
raw_llm_call_action: raw llm call
sensitive_data_detection: {}
actions_server:
  token: secret
  connect_timeout: 1.5
  timeout: 10
  retries: 0
errors:
  fallback_message: Sorry, something broke.
  propagate: true
"""


def test_same_class_from_package_root():
    assert RailsConfig is DirectRailsConfig


def test_every_key_of_the_spec_loads_and_reads_back(write_config):
    config = RailsConfig.from_path(str(write_config({"config.yml": FULL_CONFIG})))
    assert config.models[0].engine == "openai"
    assert config.models[0].parameters["anything"] == {"nested": [1, 2]}
    assert config.models[0].api_key_env_var == "MY_KEY" and config.models[0].mode == "chat"
    assert [m.type for m in config.models] == ["main", "embeddings", "self_check_input"]
    assert config.instructions[0].content == "You answer questions about the shop."
    assert config.sample_conversation.startswith('user "hi"')
    assert config.prompts[0].task == "self_check_input" and config.prompts[0].max_tokens == 3
    assert config.prompts[0].stop == ["\n"]
    assert config.prompts[1].messages[0].type == "system"
    assert config.prompts[1].messages[1] == "{{ history | colang | to_messages }}"
    assert config.prompts[1].mode == "compact" and config.prompts[1].max_length == 3000
    assert config.prompting_mode == "compact"
    assert config.rails.config.fact_checking.fallback_to_self_check is True
    assert config.rails.config.sensitive_data_detection.input.entities == ["PERSON"]
    assert config.rails.config.my_library_rail == {"threshold": 0.5, "options": ["a", "b"]}
    assert config.rails.input.flows == ["self check input"]
    assert config.rails.dialog.single_call.fallback_to_multiple_calls is False
    user_messages = config.rails.dialog.user_messages
    assert user_messages.embeddings_only is True
    assert user_messages.embeddings_only_similarity_threshold == 0.7
    assert user_messages.embeddings_only_fallback_intent == "unknown question"
    assert config.rails.actions.instant_actions == ["x"]
    assert config.actions_server_url == "http://127.0.0.1:8001"
    assert config.lowest_temperature == 0.1
    assert config.enable_multi_step_generation is True
    assert config.custom_data == {"shop": "ACME", "limits": {"max": 3}}
    assert config.knowledge_base.embedding_search_provider.parameters["embedding_engine"] == \
        "FastEmbed"
    assert config.core.embedding_search_provider.parameters["search_threshold"] == 0.2
    assert config.passthrough is False and config.enable_rails_exceptions is True
    assert config.user_messages == {"express greeting": ["hi", "hello"]}
    assert config.bot_messages == {"express greeting": ["Hello!"]}
    assert config.tracing.enabled is False and config.tracing.adapters[0].name == "FileSystem"
    assert config.actions_server.token == "secret" and config.actions_server.retries == 0
    assert config.actions_server.connect_timeout == 1.5
    assert config.errors.fallback_message == "Sorry, something broke."
    assert config.errors.propagate is True
    assert config.streaming_supported is True


def test_defaults_match_the_reference():
    config = RailsConfig.from_content(yaml_content="models: []")
    assert config.colang_version == "1.0"
    assert config.prompting_mode == "standard"
    assert config.lowest_temperature == 0.001
    assert config.enable_multi_step_generation is False
    assert config.streaming is False and config.passthrough is None
    assert config.docs is None and config.prompts is None and config.models == []
    assert config.rails.input.flows == [] and config.rails.dialog.single_call.enabled is False
    assert config.rails.dialog.single_call.fallback_to_multiple_calls is True
    assert config.knowledge_base.folder == "kb"
    assert config.core.embedding_search_provider.name == "default"
    assert config.raw_llm_call_action == "raw llm call"
    assert config.actions_server.connect_timeout == 2.0
    assert config.actions_server.timeout == 30.0 and config.actions_server.retries == 2
    assert config.actions_server.token is None
    assert config.errors.fallback_message == "I'm sorry, an internal error has occurred."
    assert config.errors.propagate is False
    [instruction] = config.instructions
    assert instruction.type == "general" and "assistant" in instruction.content


def test_default_sample_conversation_has_five_turns_in_history_format():
    sample = RailsConfig.from_content(yaml_content="models: []").sample_conversation
    lines = sample.strip().splitlines()
    user_lines = [line for line in lines if line.startswith('user "')]
    bot_lines = [line for line in lines if line.startswith("bot ")]
    assert len(user_lines) == 5 and len(bot_lines) == 5
    # Each turn: quoted user text, indented intent, bot intent, indented quoted bot text.
    for i in range(0, 20, 4):
        assert lines[i].startswith('user "') and lines[i + 1].startswith("  ")
        assert lines[i + 2].startswith("bot ") and lines[i + 3].startswith('  "')


def test_instructions_given_are_kept_instead_of_the_default():
    config = RailsConfig.from_content(
        yaml_content="instructions:\n  - type: general\n    content: Be terse.\n")
    assert [(i.type, i.content) for i in config.instructions] == [("general", "Be terse.")]


def test_attributes_are_settable_after_loading_and_validated():
    config = RailsConfig.from_content(yaml_content="models: []")
    config.rails.dialog.single_call.enabled = True
    config.rails.input.flows.append("self check input")
    config.custom_data["x"] = 1
    config.lowest_temperature = 0.5
    assert config.rails.dialog.single_call.enabled is True
    assert config.rails.input.flows == ["self check input"]
    assert config.custom_data == {"x": 1} and config.lowest_temperature == 0.5
    with pytest.raises(Exception, match="valid"):
        config.rails.dialog.single_call.enabled = "not a boolean"


@pytest.mark.parametrize("value", ["1.0", 1.0])
def test_colang_version_1_is_accepted(value):
    config = RailsConfig.parse_object({"colang_version": value})
    assert config.colang_version == "1.0"


@pytest.mark.parametrize("version", ["2.x", "1.1"])
def test_colang_2_is_rejected_clearly(write_config, version):
    folder = write_config({"config.yml": f'colang_version: "{version}"\n'})
    with pytest.raises(ConfigError) as caught:
        RailsConfig.from_path(str(folder))
    assert "Colang 2.x is not supported yet" in str(caught.value)
    assert caught.value.file.endswith("config.yml") and caught.value.key == "colang_version"


def test_unknown_colang_version_lists_the_accepted_values():
    with pytest.raises(ConfigError, match='accepted values: "1.0"'):
        RailsConfig.from_content(yaml_content="colang_version: '0.9'")


def test_output_rails_turn_streaming_support_off():
    config = RailsConfig.parse_object({"rails": {"output": {"flows": ["check it"]}}})
    assert config.streaming_supported is False
