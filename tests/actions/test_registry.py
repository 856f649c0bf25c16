"""Registering and finding actions: programmatic registration, discovery on disk, names."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rails.actions import ActionDispatcher, action
from rails.errors import ActionError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def empty() -> ActionDispatcher:
    return ActionDispatcher(load_all_actions=False)


def test_register_action_name_sources_and_override():
    dispatcher = empty()

    @action(name="named")
    def decorated():
        return "decorated"

    def bare():
        return "bare"

    dispatcher.register_action(decorated)
    dispatcher.register_action(bare)
    dispatcher.register_action(lambda: "explicit", name="explicit")
    assert dispatcher.names() == ["bare", "explicit", "named"]
    assert dispatcher.get("named") is decorated

    dispatcher.register_action(lambda: "kept?", name="named", override=False)
    assert dispatcher.get("named") is decorated
    replacement = lambda: "new"  # noqa: E731
    dispatcher.register_action(replacement, name="named")
    assert dispatcher.get("named") is replacement


def test_register_action_rejects_what_cannot_be_called():
    with pytest.raises(ActionError, match="'thing' is not callable"):
        empty().register_action(42, name="thing")


def test_register_actions_takes_only_decorated_members_of_an_object():
    class Tools:
        @action(is_system_action=True)
        async def first(self):
            return 1

        @action(name="second_renamed")
        def second(self):
            return 2

        def helper(self):
            return 3

    dispatcher = empty()
    dispatcher.register_actions(Tools())
    assert dispatcher.names() == ["first", "second_renamed"]
    assert dispatcher.is_system_action("first") is True
    assert dispatcher.is_system_action("second_renamed") is False
    assert dispatcher.is_system_action("unknown") is False


def test_discovery_from_config_and_import_paths(tmp_path):
    config = tmp_path / "config"
    write(config / "actions.py", """
        from rails.actions import action

        @action()
        async def top_level():
            return "actions.py"

        @action(name="shared")
        async def shared_from_file():
            return "actions.py"

        def undecorated():
            return "not an action"
    """)
    write(config / "actions" / "sub" / "deep.py", """
        from rails.actions import action

        @action(name="shared")
        def shared_from_folder():
            return "folder"

        @action()
        class DeepAction:
            def run(self):
                return "class"
    """)
    write(config / "actions" / "__init__.py", """raise RuntimeError("never imported")""")
    other = tmp_path / "imported"
    write(other / "actions.py", """
        from rails.actions import action

        @action()
        def from_import_path():
            return "imported"
    """)

    dispatcher = ActionDispatcher(config_path=str(config), import_paths=[str(other)])
    assert dispatcher.import_errors == []
    assert {"top_level", "shared", "DeepAction", "from_import_path"} <= set(dispatcher.names())
    assert "undecorated" not in dispatcher.names()
    # actions/ is loaded before actions.py, so the file wins for a shared name.
    assert dispatcher.get("shared").__name__ == "shared_from_file"


def test_later_config_paths_override_earlier_ones(tmp_path):
    for name in ("first", "second"):
        write(tmp_path / name / "actions.py", f"""
            from rails.actions import action

            @action(name="which")
            def which():
                return "{name}"
        """)
    dispatcher = ActionDispatcher(config_path=f"{tmp_path / 'first'}, {tmp_path / 'second'}")
    assert dispatcher.get("which")() == "second"


async def test_broken_module_is_reported_and_the_rest_still_loads(tmp_path, caplog):
    config = tmp_path / "config"
    write(config / "actions" / "broken.py", """
        from rails.actions import action
        import a_module_that_does_not_exist
    """)
    write(config / "actions" / "good.py", """
        from rails.actions import action

        @action()
        def good():
            return "ok"
    """)
    dispatcher = ActionDispatcher(config_path=str(config))
    assert dispatcher.names() == ["good"]
    [(where, error)] = dispatcher.import_errors
    assert where.endswith("broken.py")
    assert isinstance(error, ModuleNotFoundError)
    assert "a_module_that_does_not_exist" in str(error)
    assert "broken.py" in caplog.text and "a_module_that_does_not_exist" in caplog.text
    assert (await dispatcher.execute("good", {})).return_value == "ok"


def test_core_modules_and_library_paths(tmp_path):
    library = tmp_path / "library" / "some_rail"
    write(library / "actions.py", """
        from rails.actions import action

        @action(is_system_action=True)
        def library_action():
            return "library"
    """)
    dispatcher = ActionDispatcher(core_modules=["rails.library.core_actions"],
                                  library_paths=[str(library)])
    assert dispatcher.has("create_event") and dispatcher.is_system_action("create_event")
    assert dispatcher.has("library_action")
    missing = ActionDispatcher(core_modules=["rails.no_such_module"])
    assert [where for where, _ in missing.import_errors] == ["rails.no_such_module"]


def test_current_directory_only_when_asked(tmp_path, monkeypatch):
    write(tmp_path / "actions.py", """
        from rails.actions import action

        @action()
        def from_cwd():
            return "cwd"
    """)
    monkeypatch.chdir(tmp_path)
    assert not ActionDispatcher().has("from_cwd")
    assert ActionDispatcher(include_cwd=True).has("from_cwd")


def test_same_file_is_imported_once_until_it_changes(tmp_path):
    config = tmp_path / "config"
    write(config / "actions.py", """
        from rails.actions import action
        IMPORTS = []
        IMPORTS.append(1)

        @action()
        def counter():
            return len(IMPORTS)
    """)
    first = ActionDispatcher(config_path=str(config))
    second = ActionDispatcher(config_path=str(config))
    assert first.get("counter") is second.get("counter")
    write(config / "actions.py", """
        from rails.actions import action

        @action()
        def counter():
            return "changed file"
    """)
    assert ActionDispatcher(config_path=str(config)).get("counter")() == "changed file"


def test_name_normalization_and_suggestions():
    dispatcher = empty()

    @action()
    def fetch_weather():
        return "sunny"

    @action(name="execute wolfram alpha request")
    def wolfram():
        return 42

    dispatcher.register_action(fetch_weather)
    dispatcher.register_action(wolfram)
    assert dispatcher.has("FetchWeatherAction")
    assert dispatcher.has("FetchWeather")
    assert dispatcher.get("FetchWeatherAction") is fetch_weather
    assert dispatcher.has("execute wolfram alpha request")
    assert not dispatcher.has("fetch_wether")
    assert dispatcher.closest("fetch_wether") == ["fetch_weather"]
    assert dispatcher.closest("FetchWetherAction") == ["fetch_weather"]
    assert dispatcher.closest("zzz") == []


def test_reference_compatible_accessors():
    dispatcher = empty()

    @action()
    def one():
        return 1

    dispatcher.register_action(one)
    assert dispatcher.has_registered("one") and dispatcher.get_action("one") is one
    assert dispatcher.registered_actions == {"one": one}
    assert dispatcher.get_registered_actions() == ["one"]


def test_a_function_missing_the_decorator_is_named_in_the_error(write_config):
    from rails import LLMRails, RailsConfig
    from rails.testing import FakeLLM

    folder = write_config({
        "config.yml": "models: []\n",
        "rails/order.co": """
            define user ask order
              "where is my order"

            define flow
              user ask order
              $order = execute lookup_order
              bot say $order
            """,
        "actions.py": """
            from rails.actions import action

            def lookup_order():
                return "shipped"

            def _helper():
                return None

            @action()
            async def cancel_order():
                return "cancelled"
            """,
    })
    app = LLMRails(RailsConfig.from_path(str(folder)), llm=FakeLLM(responses=["  ask order"]))
    reply = app.generate(messages=[{"role": "user", "content": "where is my order"}])
    assert reply["content"] == "Action 'lookup_order' not found."  # as the reference says it
    message = app.explain().errors[0].message
    assert "defines `lookup_order` without the @action decorator" in message
    assert str(folder / "actions.py") in message
    assert "_helper" not in message and "cancel_order" not in message
