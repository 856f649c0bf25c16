"""`@action` metadata and `ActionResult`."""
from __future__ import annotations

from rails.actions import ActionDispatcher, ActionResult, action


def test_defaults_take_the_function_name():
    @action()
    def fetch_weather(city):
        return city

    assert fetch_weather.action_meta == {"name": "fetch_weather", "is_system_action": False,
                                         "execute_async": False, "output_mapping": None}
    assert fetch_weather("Paris") == "Paris"  # still an ordinary function


def test_explicit_options_and_extra_metadata_are_kept():
    def blocked(value):
        return not value

    @action(is_system_action=True, name="check it", execute_async=True, output_mapping=blocked,
            description="Checks.", aliases=["verify"], examples=["check it please"])
    async def check(text):
        return True

    meta = check.action_meta
    assert meta["name"] == "check it" and meta["is_system_action"] is True
    assert meta["execute_async"] is True and meta["output_mapping"] is blocked
    assert meta["description"] == "Checks." and meta["aliases"] == ["verify"]
    assert meta["examples"] == ["check it please"]


def test_without_parentheses():
    @action
    async def plain():
        return 1

    assert plain.action_meta["name"] == "plain"


def test_classes_staticmethods_and_classmethods():
    @action(name="weather")
    class Weather:
        def run(self, city):
            return city

    class Holder:
        @action(is_system_action=True)
        @staticmethod
        def static_one():
            return "static"

        @action()
        @classmethod
        def class_one(cls):
            return cls.__name__

    assert Weather.action_meta["name"] == "weather"
    assert Holder.static_one.action_meta["name"] == "static_one"
    assert Holder.static_one.action_meta["is_system_action"] is True
    assert Holder.class_one.action_meta["name"] == "class_one"
    dispatcher = ActionDispatcher(load_all_actions=False)
    dispatcher.register_actions(Holder)
    assert dispatcher.names() == ["class_one", "static_one"]


def test_action_result_defaults():
    result = ActionResult()
    assert result.return_value is None and result.events is None
    assert result.context_updates == {}
    assert ActionResult(1).context_updates is not result.context_updates


def test_nemo_module_paths_after_renaming_the_import():
    from rails.actions import RemoteActionsClient
    from rails.actions.action_dispatcher import ActionDispatcher as Dispatcher
    from rails.actions.actions import ActionResult as Result
    from rails.actions.actions import action as decorator
    from rails.actions.remote import RemoteActionsClient as Client

    assert (decorator, Result, Dispatcher, RemoteActionsClient) == (
        action, ActionResult, ActionDispatcher, Client)
