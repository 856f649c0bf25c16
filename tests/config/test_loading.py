"""Folder loading (spec §5.2) without Colang files: join rules, walk order, .railsignore,
kb documents, import paths, single YAML files, from_content, parse_object, addition."""
from __future__ import annotations

import os

import pytest

from rails import RailsConfig
from rails.config.python import load_config_module
from rails.errors import ConfigError


def test_yaml_files_at_any_depth_are_joined_by_the_merge_rules(write_config):
    folder = write_config({
        "a.yml": """
            models: [{type: main, engine: openai, model: m1}]
            instructions: [{type: general, content: first}]
            actions_server_url: http://127.0.0.1:1
            import_paths: []
            user_messages: {greet: [hi], bye: [bye]}
            rails: {input: {flows: [a]}, output: {flows: [b]}}
            custom_data: {x: 1}
            """,
        "sub/b.yaml": """
            models: [{type: other, engine: openai, model: m2}]
            instructions: [{type: general, content: second}]
            actions_server_url: http://127.0.0.1:2
            user_messages: {greet: [hello]}
            rails: {input: {flows: [c]}}
            custom_data: {y: 2}
            lowest_temperature: 0.3
            """,
    })
    config = RailsConfig.from_path(str(folder))
    assert [m.model for m in config.models] == ["m1", "m2"]            # lists concatenated
    assert [i.content for i in config.instructions] == ["first", "second"]
    assert config.actions_server_url == "http://127.0.0.1:1"           # first non-empty wins
    assert config.user_messages == {"greet": ["hello"], "bye": ["bye"]}  # dict merge, new wins
    assert config.rails.input.flows == ["c"] and config.rails.output.flows == []  # replaced
    assert config.custom_data == {"y": 2}
    assert config.lowest_temperature == 0.3
    assert config.config_path == str(folder)


def test_walk_order_is_sorted_and_deterministic(write_config):
    files = {name: f"models: [{{type: {name.replace('/', '_')[:-4]}, engine: e}}]\n"
             for name in ("z.yml", "a.yml", "m/b.yml", "b.yml", "m/a.yml")}
    config = RailsConfig.from_path(str(write_config(files)))
    assert [m.type for m in config.models] == ["a", "b", "z", "m_a", "m_b"]


def test_single_yaml_file(write_config):
    folder = write_config({"only.yml": "models: [{type: main, engine: openai}]\n",
                           "ignored.co": "define user x\n  \"y\"\n"})
    config = RailsConfig.from_path(str(folder / "only.yml"))
    assert config.models[0].engine == "openai" and config.flows == []
    assert config.config_path == str(folder / "only.yml")


def test_railsignore_skips_matching_files(write_config, tmp_path):
    folder = write_config({
        ".railsignore": "# drafts are not loaded\n\ndraft_*.yml\nexperiments/*\n",
        "config.yml": "models: [{type: main, engine: openai}]\n",
        "draft_models.yml": "models: [{type: draft, engine: x}]\n",
        "experiments/more.yml": "models: [{type: experiment, engine: x}]\n",
        "other/also.yml": "models: [{type: other, engine: x}]\n",
    })
    config = RailsConfig.from_path(str(folder))
    assert [m.type for m in config.models] == ["main", "other"]


def test_railsignore_is_searched_upwards(write_config, tmp_path):
    (tmp_path / ".railsignore").write_text("secret.yml\n")
    folder = write_config({"config.yml": "models: []\n",
                           "secret.yml": "this is: [not, valid\n"})
    assert RailsConfig.from_path(str(folder)).models == []


def test_kb_markdown_files_become_documents(write_config, caplog):
    folder = write_config({
        "config.yml": "models: []\n",
        "kb/returns.md": "# Returns\n\nWithin 30 days.\n",
        "kb/sub/shipping.md": "# Shipping\n\nFree over 50 EUR.\n",
        "kb/notes.txt": "not a document",
        "kb/settings.yml": "not: [loaded\n",
    })
    config = RailsConfig.from_path(str(folder))
    assert [d.format for d in config.docs] == ["md", "md"]
    assert [d.content.splitlines()[0] for d in config.docs] == ["# Returns", "# Shipping"]


def test_kb_prefix_quirk_is_kept_but_warned(write_config, caplog):
    folder = write_config({"config.yml": "models: []\n", "kbnotes.yml": "bad: [yaml\n"})
    config = RailsConfig.from_path(str(folder))
    assert config.docs is None
    assert "kbnotes.yml" in caplog.text and "knowledge-base" in caplog.text


def test_import_paths_are_loaded_recursively(write_config, tmp_path):
    shared = write_config({"config.yml": "models: [{type: shared, engine: e}]\n"
                                         "import_paths: [deeper]\n"}, name="shared")
    write_config({"config.yml": "models: [{type: deeper, engine: e}]\n"}, name="deeper")
    folder = write_config({"config.yml": f"import_paths: [{shared}]\n"
                                         "models: [{type: main, engine: e}]\n"})
    cwd = os.getcwd()
    os.chdir(tmp_path)  # `deeper` is relative: resolved against the working directory
    try:
        config = RailsConfig.from_path(str(folder))
    finally:
        os.chdir(cwd)
    assert [m.type for m in config.models] == ["main", "shared", "deeper"]
    assert config.import_paths == [str(shared), "deeper"]
    assert config.imported_paths == {str(shared): str(shared), "deeper": "deeper"}


def test_import_paths_resolve_in_colangpath(write_config, tmp_path, monkeypatch):
    library = tmp_path / "library"
    write_config({"config.yml": "models: [{type: lib, engine: e}]\n"}, name="library/guards")
    monkeypatch.setenv("COLANGPATH", str(library))
    folder = write_config({"config.yml": "import_paths: [guards]\n"})
    config = RailsConfig.from_path(str(folder))
    assert [m.type for m in config.models] == ["lib"]
    assert config.imported_paths["guards"] == os.path.join(str(library), "guards")


def test_unresolvable_import_path(write_config, monkeypatch):
    monkeypatch.delenv("COLANGPATH", raising=False)
    folder = write_config({"config.yml": "import_paths: [no_such_library]\n"})
    with pytest.raises(ConfigError) as caught:
        RailsConfig.from_path(str(folder))
    assert caught.value.key == "import_paths"
    assert "'no_such_library' could not be found" in caught.value.message


def test_from_content_joins_dict_then_yaml():
    config = RailsConfig.from_content(
        yaml_content="models: [{type: main, engine: from_yaml}]\nstreaming: true\n",
        config={"models": [{"type": "main", "engine": "from_dict"}], "streaming": False,
                "custom_data": {"a": 1}})
    assert [m.engine for m in config.models] == ["from_dict", "from_yaml"]
    assert config.streaming is True and config.custom_data == {"a": 1}
    assert config.config_path is None


def test_parse_object_validates_a_plain_dict():
    config = RailsConfig.parse_object({"models": [{"type": "main", "engine": "x"}],
                                       "custom_data": {"k": "v"}})
    assert config.models[0].engine == "x" and config.custom_data == {"k": "v"}
    assert RailsConfig.parse_obj({"models": []}).models == []


def test_adding_configs():
    first = RailsConfig.parse_object({
        "config_path": "/a", "models": [{"type": "main", "engine": "openai", "model": "m"}],
        "rails": {"input": {"flows": ["one"]}}, "custom_data": {"x": {"a": 1}},
        "user_messages": {"hi": ["hi"]}})
    second = RailsConfig.parse_object({
        "config_path": "/b", "models": [{"type": "main", "engine": "openai", "model": "m"}],
        "rails": {"input": {"flows": ["two", "one"]}}, "custom_data": {"x": {"b": 2}},
        "user_messages": {"bye": ["bye"]}})
    combined = first + second
    assert combined.config_path == "/a,/b"
    assert combined.rails.input.flows == ["two", "one"]   # no duplicates, added config first
    assert combined.custom_data == {"x": {"a": 1, "b": 2}}
    assert combined.user_messages == {"hi": ["hi"], "bye": ["bye"]}
    assert len(combined.models) == 1


def test_adding_configs_with_conflicting_models_or_servers():
    base = RailsConfig.parse_object({"models": [{"type": "main", "engine": "openai"}]})
    other = RailsConfig.parse_object({"models": [{"type": "main", "engine": "ollama"}]})
    with pytest.raises(ConfigError, match="'main' model"):
        base + other
    with pytest.raises(ConfigError, match="actions servers"):
        base + RailsConfig.parse_object({"actions_server_url": "http://127.0.0.1:1"})


def test_load_config_module(write_config):
    folder = write_config({"config.py": "VALUE = 42\n\ndef init(app):\n    app.append(1)\n"})
    module = load_config_module(folder)
    assert module.VALUE == 42
    calls = []
    module.init(calls)
    assert calls == [1]
    other = load_config_module(write_config({"config.py": "VALUE = 7\n"}, name="other"))
    assert other.__name__ != module.__name__ and module.VALUE == 42
    assert load_config_module(write_config({"config.yml": ""}, name="none")) is None


def test_load_config_module_failure_keeps_the_cause(write_config):
    folder = write_config({"config.py": "import no_such_module_here\n"})
    with pytest.raises(ConfigError) as caught:
        load_config_module(folder)
    assert caught.value.file.endswith("config.py")
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_symlinks_inside_the_folder_are_followed_once(write_config):
    folder = write_config({"config.yml": "models: [{type: main, engine: e}]\n",
                           "parts/models.yml": "models: [{type: part, engine: e}]\n"})
    (folder / "alias").symlink_to(folder / "parts", target_is_directory=True)
    (folder / "more.yml").symlink_to(folder / "parts" / "models.yml")
    config = RailsConfig.from_path(str(folder))
    # parts/ is reached twice (itself and through alias/) but walked once; the file link counts.
    assert [m.type for m in config.models] == ["main", "part", "part"]


def test_a_symlink_out_of_the_folder_is_an_error(write_config):
    shared = write_config({"models.yml": "models: [{type: linked, engine: e}]\n"}, name="shared")
    folder = write_config({"config.yml": "models: [{type: main, engine: e}]\n"})
    (folder / "linked").symlink_to(shared, target_is_directory=True)
    with pytest.raises(ConfigError, match="leads outside the config folder") as caught:
        RailsConfig.from_path(str(folder))
    assert caught.value.file.endswith("linked") and "import_paths" in caught.value.message


def test_a_symlink_loop_is_an_error_not_a_hang(write_config):
    folder = write_config({"config.yml": "models: []\n", "sub/x.co": "define user x\n  \"y\"\n"})
    (folder / "sub" / "back").symlink_to(folder, target_is_directory=True)
    with pytest.raises(ConfigError, match="symlink loop") as caught:
        RailsConfig.from_path(str(folder))
    assert caught.value.file.endswith("back")


def test_non_utf8_file_is_named(write_config):
    folder = write_config({"config.yml": "models: []\n"})
    (folder / "latin1.yml").write_bytes("custom_data: {name: caf\xe9}\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        RailsConfig.from_path(str(folder))
    assert caught.value.file.endswith("latin1.yml") and "UTF-8" in caught.value.message


def test_empty_import_path_is_an_error_not_the_working_directory(write_config):
    folder = write_config({"config.yml": "import_paths: ['']\n"})
    with pytest.raises(ConfigError, match="an import path is empty"):
        RailsConfig.from_path(str(folder))
