"""Action metadata: description, similes, examples, validate, parameter schema and hints,
from `@action(...)` and from config.yml, through the public API."""
from __future__ import annotations

import pytest

from rails import LLMRails, RailsConfig
from rails.actions import ActionDispatcher, action
from rails.errors import ActionError, ConfigError


@action(similes=["CREATE_IMAGE", "MAKE_IMAGE", "DRAW"],
        description="Generates an image from the user's description",
        read_only=True, open_world=False,
        examples=[[{"name": "{{user1}}", "content": {"text": "draw a cat"}},
                   {"name": "{{agent}}", "content": {"text": "Here it is",
                                                     "actions": ["GENERATE_IMAGE"]}}]],
        validate=lambda message: "draw" in (message or "") or "image" in (message or ""))
async def GENERATE_IMAGE(prompt: str, size: int = 512):
    return f"image of {prompt} at {size}px"


def dispatcher_with(*actions) -> ActionDispatcher:
    dispatcher = ActionDispatcher(load_all_actions=False)
    for fn in actions:
        dispatcher.register_action(fn)
    return dispatcher


async def test_similes_resolve_to_the_action_exactly_then_ignoring_case():
    dispatcher = dispatcher_with(GENERATE_IMAGE)
    for alias in ("DRAW", "draw", "Make_Image", "GENERATE_IMAGE"):
        assert dispatcher.resolve(alias) == "GENERATE_IMAGE"
        outcome = await dispatcher.execute(alias, {"prompt": "a cat"})
        assert outcome.return_value == "image of a cat at 512px"
    assert dispatcher.resolve("PAINT") is None
    assert not (await dispatcher.execute("PAINT", {})).is_success


async def test_a_simile_never_shadows_a_registered_name():
    @action(similes=["lookup"])
    async def search():
        return "search"

    @action()
    async def lookup():
        return "lookup"

    dispatcher = dispatcher_with(search, lookup)
    assert (await dispatcher.execute("lookup", {})).return_value == "lookup"


def test_metadata_is_normalized_with_mcp_defaults():
    dispatcher = dispatcher_with(GENERATE_IMAGE)
    metadata = dispatcher.metadata("DRAW")
    assert metadata.name == "GENERATE_IMAGE"
    assert metadata.description == "Generates an image from the user's description"
    assert metadata.similes == ("CREATE_IMAGE", "MAKE_IMAGE", "DRAW")
    assert metadata.annotations() == {"readOnlyHint": True, "destructiveHint": False,
                                      "idempotentHint": False, "openWorldHint": False}
    schema = dispatcher.parameters_schema("GENERATE_IMAGE")
    assert schema["properties"] == {"prompt": {"type": "string"},
                                    "size": {"type": "integer", "default": 512}}
    assert schema["required"] == ["prompt"]

    @action()
    async def delete_everything():
        """Deletes every record."""

    plain = dispatcher_with(delete_everything).metadata("delete_everything")
    assert plain.description == "Deletes every record."
    # MCP's defaults: a tool that says nothing is assumed to be destructive and open-world.
    assert plain.annotations()["destructiveHint"] is True
    assert plain.annotations()["openWorldHint"] is True


async def test_validate_functions_and_conditions():
    metadata = dispatcher_with(GENERATE_IMAGE).metadata("GENERATE_IMAGE")
    assert await metadata.is_available(message="please draw a boat")
    assert not await metadata.is_available(message="what time is it?")

    @action(validate="$plan == 'pro' and 'export' in $message")
    async def export_report():
        return "ok"

    condition = dispatcher_with(export_report).metadata("export_report")
    assert await condition.is_available(message="export it", context={"plan": "pro"})
    assert not await condition.is_available(message="export it", context={"plan": "free"})

    async def needs_state(message, state, context):
        return context.get("logged_in") is True

    @action(validate=needs_state)
    async def profile():
        return "ok"

    checked = dispatcher_with(profile).metadata("profile")
    assert await checked.is_available(context={"logged_in": True})
    assert not await checked.is_available(context={})

    @action(validate=lambda message: 1 / 0)
    async def broken():
        return "never"

    with pytest.raises(ActionError, match="validate check of action 'broken' failed: "
                                          "ZeroDivisionError"):
        await dispatcher_with(broken).metadata("broken").is_available(message="x")


def test_malformed_metadata_is_an_error_naming_action_and_key():
    with pytest.raises(ConfigError, match="action 'bad': `similes` must be a list"):
        @action(similes=[3])
        async def bad():
            return None

        dispatcher_with(bad)
    with pytest.raises(ConfigError, match="`read_only` must be true or false"):
        @action(read_only="yes")
        async def bad2():
            return None

        dispatcher_with(bad2)
    with pytest.raises(ConfigError, match="`validate` is not a valid condition"):
        @action(validate="$a ==")
        async def bad3():
            return None

        dispatcher_with(bad3)


def test_metadata_from_config_yml_and_similes_in_flows(write_config):
    folder = write_config({
        "config.yml": """
            actions_metadata:
              get_weather:
                description: Current weather for a city
                similes: [WEATHER, FORECAST]
                read_only: true
                parameters:
                  type: object
                  properties: {city: {type: string, description: "the city"}}
                  required: [city]
        """,
        "actions.py": """
            from rails.actions import action

            @action()
            async def get_weather(city: str = "Paris"):
                return f"sunny in {city}"
        """,
        "rails/main.co": """
            define user ask weather
              "weather?"

            define flow
              user ask weather
              $w = execute FORECAST(city="Oslo")
              bot $w
        """,
    })
    app = LLMRails(RailsConfig.from_path(str(folder)))
    reply = app.generate(messages=[{"role": "user", "content": "weather?"}])
    assert reply["content"] == "sunny in Oslo"
    dispatcher = app.runtime.dispatcher
    metadata = dispatcher.metadata("WEATHER")
    assert metadata.description == "Current weather for a city"
    assert dispatcher.parameters_schema("get_weather")["required"] == ["city"]


def test_metadata_for_an_unknown_action_names_it(write_config):
    folder = write_config({"config.yml": """
        actions_metadata:
          get_wether: {description: typo}
    """, "actions.py": """
        from rails.actions import action

        @action()
        async def get_weather():
            return None
    """})
    with pytest.raises(ConfigError, match="get_wether.*not found.*get_weather"):
        LLMRails(RailsConfig.from_path(str(folder)))
