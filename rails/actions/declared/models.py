"""Which model runs a declared action: its `model` field names a configured model by its
`type` (`main`, `summarizer`, ...) or by its model name (`gpt-4o-mini`); without one, the
main model (or the `<action>_llm` given for that action). A name that matches nothing is an
error listing what is configured, never a silent fallback to another model."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from rails.actions.declared.errors import UnknownModelError


def configured_models(llms: Optional[Mapping[str, Any]],
                      model_configs: Iterable[Any] = ()) -> dict[str, Any]:
    """name -> model object: every type in `llms`, and the model name of each config entry
    (`models: [{type, engine, model}]`) whose type has a model."""
    by_name: dict[str, Any] = dict(llms or {})
    for entry in model_configs or ():
        kind = _get(entry, "type")
        name = _get(entry, "model")
        if isinstance(name, str) and kind in (llms or {}):
            by_name.setdefault(name, llms[kind])
    return by_name


def resolve_model(action_name: str, wanted: Optional[str], models: Mapping[str, Any],
                  default: Any = None) -> Any:
    if wanted is None:
        model = default if default is not None else models.get("main")
        if model is None:
            raise UnknownModelError(
                f"action '{action_name}' uses the main model, but none is configured (add a "
                "`type: main` model to config.yml, or pass `llm=`)", action_name=action_name)
        return model
    model = models.get(wanted)
    if model is None:
        raise UnknownModelError(unknown_model_message(action_name, wanted, models),
                                action_name=action_name)
    return model


def unknown_model_message(action_name: str, wanted: str, models: Mapping[str, Any]) -> str:
    known = ", ".join(sorted(models)) or "none"
    return (f"action '{action_name}' asks for the model '{wanted}', which is not configured "
            f"(configured: {known}); name a model type or model name from config.yml's "
            "`models`, or leave `model` out for the main model")


def _get(entry: Any, key: str) -> Any:
    return entry.get(key) if isinstance(entry, Mapping) else getattr(entry, key, None)
