"""Bad input gets a ConfigError naming the file and the key path (or line), never a raw
pydantic / YAML exception."""
from __future__ import annotations

import logging

import pytest

from rails import RailsConfig
from rails.errors import ConfigError


def load_error(write_config, files: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        RailsConfig.from_path(str(write_config(files)))
    return caught.value


def test_wrong_type_names_file_and_key_path(write_config):
    error = load_error(write_config, {"config.yml": """
        rails:
          input:
            flows: self check input
        """})
    assert error.file.endswith("config.yml") and error.key == "rails.input.flows"
    assert str(error).endswith(
        "config.yml: rails.input.flows: expected a list of flow names, got a string")


def test_wrong_type_in_a_list_item_names_the_index(write_config):
    error = load_error(write_config, {"config.yml": """
        models:
          - type: main
            engine: openai
          - type: embeddings
            engine: [openai]
        """})
    assert error.key == "models[1].engine"
    assert "expected a string, got a list" in error.message


def test_missing_required_model_key(write_config):
    error = load_error(write_config, {"config.yml": "models:\n  - type: main\n"})
    assert error.key == "models[0].engine" and "missing" in error.message


def test_unknown_top_level_key_suggests_the_closest(write_config):
    error = load_error(write_config, {"config.yml": "model:\n  - type: main\n"})
    assert error.key == "model"
    assert "unknown key" in error.message and "did you mean 'models'" in error.message


def test_error_names_the_file_that_has_the_problem(write_config):
    error = load_error(write_config, {
        "config.yml": "models: []\n",
        "more/extra.yaml": "lowest_temperature: cold\n",
    })
    assert error.file.endswith("extra.yaml") and error.key == "lowest_temperature"
    assert "expected a number" in error.message


def test_several_problems_in_one_file_are_all_listed(write_config):
    error = load_error(write_config, {"config.yml": "streaming: maybe\nprompting_mode: [x]\n"})
    assert "streaming" in str(error) and "prompting_mode" in str(error)


def test_malformed_yaml_names_file_and_line(write_config):
    error = load_error(write_config, {"config.yml": "models:\n  - type: main\n   engine: x\n"})
    assert error.file.endswith("config.yml")
    assert "line 3" in error.message and "invalid YAML" in error.message
    assert error.__cause__ is not None  # the YAML exception stays reachable


def test_top_level_must_be_a_mapping(write_config):
    error = load_error(write_config, {"config.yml": "- a\n- b\n"})
    assert "mapping" in error.message and error.file.endswith("config.yml")


def test_prompt_needs_content_or_messages(write_config):
    error = load_error(write_config, {"prompts.yml": "prompts:\n  - task: general\n"})
    assert error.file.endswith("prompts.yml") and error.key == "prompts[0]"
    assert "needs `content` or `messages`" in error.message


def test_self_check_rail_without_its_prompt(write_config):
    error = load_error(write_config, {"config.yml": """
        rails:
          output:
            flows: [self check output]
        """})
    assert error.key == "rails.output.flows" and "self_check_output" in error.message


def test_self_check_rail_with_a_misspelled_prompt_task_names_it(write_config):
    error = load_error(write_config, {"config.yml": """
        rails:
          input:
            flows: [self check input]
        prompts:
          - task: self_check_inptu
            content: Block {{ user_input }}?
        """})
    assert error.key == "rails.input.flows"
    assert error.message == ("You must provide a `self_check_input` prompt template. Missing a "
                             "`self_check_input` prompt template, which is required for the "
                             "`self check input` rail; the prompt for `self_check_inptu` looks "
                             "like it was meant for it")


def test_self_check_rail_with_its_prompt_in_another_file_loads(write_config):
    config = RailsConfig.from_path(str(write_config({
        "config.yml": "rails:\n  input:\n    flows: [self check input]\n",
        "prompts.yml": "prompts:\n  - task: self_check_input\n    content: ok?\n",
    })))
    assert config.rails.input.flows == ["self check input"]


def test_passthrough_and_single_call_are_exclusive(write_config):
    error = load_error(write_config, {"config.yml": """
        passthrough: true
        rails:
          dialog:
            single_call:
              enabled: true
        """})
    assert error.key == "passthrough" and "single_call" in error.message


def test_missing_path():
    with pytest.raises(ConfigError, match="does not exist"):
        RailsConfig.from_path("/nonexistent/config/folder")


def test_from_content_names_its_source():
    with pytest.raises(ConfigError) as caught:
        RailsConfig.from_content(yaml_content="streaming: [1]")
    assert caught.value.file == "<yaml_content>" and caught.value.key == "streaming"


def test_out_of_range_threshold():
    with pytest.raises(ConfigError) as caught:
        RailsConfig.parse_object({"rails": {"dialog": {"user_messages": {
            "embeddings_only_similarity_threshold": 1.5}}}})
    assert caught.value.key == "rails.dialog.user_messages.embeddings_only_similarity_threshold"


def test_unknown_keys_under_rails_are_errors_naming_each_with_a_suggestion(write_config):
    # NeMo drops them silently, so a typo leaves the rail off: here every one is an error.
    folder = write_config({"config.yml": """
        rails:
          inputs: {flows: [x]}
          input: {flow: [y], parallel: true}
          config: {my_rail: {anything: 1}}
        """})
    with pytest.raises(ConfigError) as caught:
        RailsConfig.from_path(str(folder))
    error = caught.value
    assert error.file.endswith("config.yml") and error.key == "rails.inputs"
    assert error.message.startswith("unknown key; did you mean 'input'?")
    assert "rails.input.flow: unknown key; did you mean 'flows'?" in error.message
    # Newer NeMo keys (`parallel`) and the library's free-form config are not unknown.
    assert "parallel" not in error.message and "my_rail" not in error.message


def test_unknown_keys_elsewhere_warn_once_with_a_suggestion(write_config, caplog):
    folder = write_config({"config.yml": """
        rails:
          input: {flows: [], parallel: true}
        models:
          - {type: main, engine: openai, paramters: {}}
        """})
    with caplog.at_level(logging.WARNING, logger="rails"):
        config = RailsConfig.from_path(str(folder))
    text = caplog.text
    assert text.count("models[0].paramters: unknown key, ignored; did you mean 'parameters'?") \
        == 1
    assert config.rails.input.parallel is True


def test_a_misspelled_required_key_is_named():
    with pytest.raises(ConfigError) as caught:
        RailsConfig.from_content(yaml_content="models:\n  - {type: main, engin: openai}\n")
    assert caught.value.key == "models[0].engine"
    assert "'engin' is given instead (did you mean 'engine'?)" in caught.value.message


def test_our_extension_sections_are_strict():
    with pytest.raises(ConfigError) as caught:
        RailsConfig.from_content(yaml_content="errors:\n  fallback: oops\n")
    assert caught.value.key == "errors.fallback"
    assert caught.value.message == "unknown key; did you mean 'fallback_message'?"
    with pytest.raises(ConfigError) as caught:
        RailsConfig.from_content(yaml_content="actions_server:\n  timeout: -1\n")
    assert caught.value.key == "actions_server.timeout"


def test_actions_token_falls_back_to_the_environment_when_used(monkeypatch):
    monkeypatch.delenv("DIALOG_RAILS_ACTIONS_TOKEN", raising=False)
    config = RailsConfig.from_content(yaml_content="actions_server_url: http://127.0.0.1:1\n")
    assert config.actions_server.effective_token() is None
    monkeypatch.setenv("DIALOG_RAILS_ACTIONS_TOKEN", "from-env")  # set after loading
    assert config.actions_server.effective_token() == "from-env"
    config.actions_server.token = "explicit"
    assert config.actions_server.effective_token() == "explicit"
