"""Loading `.co` files (spec §5.2): merge order, duplicates, skipped files, CoYML flows, imports,
caching, rail flow validation."""
from __future__ import annotations

import logging

import pytest

from rails import RailsConfig
from rails.config import validate_rail_flows
from rails.errors import ColangSyntaxError, ConfigError

GREETING_CO = """
define user express greeting
  "hello"
  "hi there"

define bot express greeting
  "Hello! How can I help?"

define flow greeting
  user express greeting
  bot express greeting
"""


def flow_ids(config: RailsConfig) -> list[str]:
    return [flow["id"] for flow in config.flows]


def test_co_files_at_any_depth_are_loaded(write_config):
    config = RailsConfig.from_path(str(write_config({
        "config.yml": "models: []\n",
        "rails/deep/er/main.co": GREETING_CO,
    })))
    assert flow_ids(config) == ["greeting"]
    assert config.user_messages == {"express greeting": ["hello", "hi there"]}
    assert config.bot_messages == {"express greeting": ["Hello! How can I help?"]}
    assert config.flows[0]["elements"][0]["_source_mapping"]["filename"].endswith("main.co")


def test_duplicates_messages_first_file_wins_flows_last_file_first(write_config, caplog):
    folder = write_config({
        "a.co": """
            define user express greeting
              "from a"
            define flow shared
              user express greeting
              bot from a
            define flow only a
              user express greeting
            """,
        "b.co": """
            define user express greeting
              "from b"
            define flow shared
              user express greeting
              bot from b
            """,
    })
    with caplog.at_level(logging.WARNING, logger="rails"):
        config = RailsConfig.from_path(str(folder))
    assert config.user_messages["express greeting"] == ["from a"]
    # b.co was found last, so its flows come first (the runtime keeps the first per id).
    assert flow_ids(config) == ["shared", "shared", "only a"]
    assert "from b" in str(config.flows[0]["elements"])
    assert "from a" in str(config.flows[1]["elements"])
    messages = [r.getMessage() for r in caplog.records]
    assert any("'define user express greeting'" in m and "a.co" in m and "b.co" in m
               for m in messages)
    assert any("flow 'shared'" in m and "b.co is used" in m for m in messages)


def test_yaml_flows_come_before_colang_flows_and_coyml_is_compiled(write_config):
    config = RailsConfig.from_path(str(write_config({
        "config.yml": """
            flows:
              - id: from yaml
                elements:
                  - user: express greeting
                  - bot: express greeting
            """,
        "main.co": GREETING_CO,
    })))
    assert flow_ids(config) == ["from yaml", "greeting"]
    assert all("_type" in element for element in config.flows[0]["elements"])


def test_comment_only_colang_file_is_skipped(write_config):
    config = RailsConfig.from_path(str(write_config({
        "notes.co": "# just notes\n# nothing to define yet\n",
        "main.co": GREETING_CO,
    })))
    assert flow_ids(config) == ["greeting"]


def test_railsignore_applies_to_colang_files(write_config):
    config = RailsConfig.from_path(str(write_config({
        ".railsignore": "*_draft.co\n",
        "main.co": GREETING_CO,
        "broken_draft.co": "define flow\n  this is not colang\n",
    })))
    assert flow_ids(config) == ["greeting"]


def test_syntax_errors_propagate_with_the_file(write_config):
    folder = write_config({"main.co": GREETING_CO, "bad.co": "define flow x\n  this is wrong\n"})
    with pytest.raises(ColangSyntaxError) as caught:
        RailsConfig.from_path(str(folder))
    assert caught.value.file.endswith("bad.co") and caught.value.line == 2


def test_from_content_parses_colang_as_main_co():
    config = RailsConfig.from_content(colang_content=GREETING_CO,
                                      yaml_content="models: []\n")
    assert flow_ids(config) == ["greeting"]
    assert config.flows[0]["elements"][0]["_source_mapping"]["filename"] == "main.co"


def test_imported_colang_files(write_config):
    library = write_config({"guards.co": """
        define user express greeting
          "imported hi"
        define flow greeting
          user express greeting
          bot imported greeting
        define flow guard
          user express greeting
        """}, name="library")
    folder = write_config({"config.yml": f"import_paths: [{library}]\n", "main.co": GREETING_CO})
    config = RailsConfig.from_path(str(folder))
    # Imported files are queued after the config's own, so (reverse merge) their flows come
    # first and the config's own messages win.
    assert flow_ids(config) == ["greeting", "guard", "greeting"]
    assert config.user_messages["express greeting"] == ["hello", "hi there"]


def test_second_load_goes_through_the_parser_cache(write_config, monkeypatch):
    """rails.lang.parse caches by (path, text): a reload must ask with the same keys."""
    import rails.lang

    folder = write_config({"a.co": GREETING_CO, "b.co": GREETING_CO.replace("greeting", "hi")})
    calls: list = []
    original = rails.lang.parse

    def spy(text, path=None):
        calls.append((path, text))
        return original(text, path)

    monkeypatch.setattr(rails.lang, "parse", spy)
    first = RailsConfig.from_path(str(folder))
    first_calls = list(calls)
    calls.clear()
    second = RailsConfig.from_path(str(folder))
    assert len(first_calls) == 2 and calls == first_calls
    assert first.flows == second.flows
    # Changing a loaded config must not leak into what later loads get.
    second.flows[0]["id"] = "changed"
    second.user_messages["express greeting"].append("extra")
    third = RailsConfig.from_path(str(folder))
    assert "changed" not in flow_ids(third)
    assert "extra" not in third.user_messages["express greeting"]


def test_twenty_flow_config_loads_in_milliseconds(write_config):
    files = {f"rails/flow_{i}.co": f"""
        define user ask thing {i}
          "question number {i}"
          "another way to ask {i}"
        define bot answer thing {i}
          "answer {i}"
        define flow thing {i}
          user ask thing {i}
          $value = execute fetch_thing(n={i})
          if $value
            bot answer thing {i}
          else
            bot say sorry
        """ for i in range(20)}
    files["config.yml"] = "models: []\n"
    folder = str(write_config(files))
    assert len(RailsConfig.from_path(folder).flows) == 20
    from rails.lang.grammar import stats

    parses = stats["lark_parses"]
    for _ in range(5):
        assert len(RailsConfig.from_path(folder).flows) == 20
    assert stats["lark_parses"] == parses  # unchanged files are never parsed again


def test_validate_rail_flows_accepts_user_library_and_parameterized_flows(write_config):
    from rails.library import known_flow_ids

    config = RailsConfig.from_content(colang_content=GREETING_CO)
    config.rails.input.flows = ["greeting", "greeting $mode=strict"]
    config.rails.output.flows = sorted(known_flow_ids())[:1]
    validate_rail_flows(config)
    config.rails.retrieval.flows = ["external flow"]
    validate_rail_flows(config, {"external flow"})


def test_validate_rail_flows_names_the_rail_and_the_closest_flows():
    config = RailsConfig.from_content(colang_content=GREETING_CO)
    config.rails.output.flows = ["greetng"]
    with pytest.raises(ConfigError) as caught:
        validate_rail_flows(config)
    assert caught.value.key == "rails.output.flows"
    assert "The provided output rail flow `greetng` does not exist" in caught.value.message
    assert "'greeting'" in caught.value.message


def test_validate_rail_flows_rechecks_settings_changed_after_loading():
    config = RailsConfig.from_content(colang_content=GREETING_CO)
    config.passthrough = True
    config.rails.dialog.single_call.enabled = True
    with pytest.raises(ConfigError, match="single_call"):
        validate_rail_flows(config)
