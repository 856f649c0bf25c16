"""A config's `declared_actions` in its `ActionDispatcher`: checked, then registered as
ordinary actions, so `execute summarize_document(...)` in a flow runs them."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from rails.actions.declared.action import LLMAction
from rails.actions.declared.declaration import parse_declaration
from rails.actions.declared.errors import DeclarationError
from rails.actions.declared.models import configured_models, unknown_model_message
from rails.errors import ConfigError

CONFIG_KEY = "declared_actions"


def actions_of_config(config: Any) -> list[LLMAction]:
    """The config's `declared_actions`, checked; raises ConfigError naming the config folder,
    the entry and the field."""
    actions: list[LLMAction] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(getattr(config, CONFIG_KEY, None) or ()):
        try:
            action = LLMAction(parse_declaration(entry))
        except DeclarationError as error:
            raise _config_error(config, index, error) from error
        if action.name in seen:
            raise ConfigError(f"'{action.name}' is declared twice (also at "
                              f"{CONFIG_KEY}[{seen[action.name]}])",
                              file=config.config_path, key=f"{CONFIG_KEY}[{index}].action_name")
        seen[action.name] = index
        actions.append(action)
    return actions


def register_config_actions(dispatcher: Any, config: Any,
                            models: Mapping[str, Any] | None = None) -> list[LLMAction]:
    """Registers the config's declared actions (`models`: name -> model, for a dispatcher
    that injects none, like the actions server's). A name that is already an action (the
    config's Python actions, the engine's own) is an error rather than a silent override."""
    actions = actions_of_config(config)
    for index, action in enumerate(actions):
        if dispatcher.has(action.name):
            raise ConfigError(f"'{action.name}' is already an action (a Python action of the "
                              "config or one of the engine's); declared actions need a name "
                              "of their own", file=config.config_path,
                              key=f"{CONFIG_KEY}[{index}].action_name")
        if models is not None:
            action.models = dict(models)
        dispatcher.register_action(action, name=action.name)
    return actions


def check_models(actions: Iterable[LLMAction], config: Any, llms: Mapping[str, Any]) -> None:
    """Fails at start-up when an action names a model the config does not have."""
    known = configured_models(llms, config.models or ())
    for index, action in enumerate(actions):
        wanted = action.declaration.model
        if wanted is not None and wanted not in known:
            raise ConfigError(unknown_model_message(action.name, wanted, known),
                              file=config.config_path, key=f"{CONFIG_KEY}[{index}].model")


def _config_error(config: Any, index: int, error: DeclarationError) -> ConfigError:
    field, message = error.problems[0]
    rest = "".join(f"\n  {CONFIG_KEY}[{index}].{f}: {m}" for f, m in error.problems[1:])
    name = f" (action '{error.action_name}')" if error.action_name else ""
    key = f"{CONFIG_KEY}[{index}]{'.' + field if field else ''}"
    return ConfigError(f"{message}{name}{rest}", file=config.config_path, key=key)
