"""`config_a + config_b` (spec §5.2): a deep merge used to serve several configs as one."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rails.errors import ConfigError

if TYPE_CHECKING:
    from rails.config.rails_config import RailsConfig


def combine_configs(base: "RailsConfig", other: "RailsConfig") -> "RailsConfig":
    """Dicts merge recursively, lists are concatenated without duplicates (the added config's
    items first, as in the reference), other values of `other` win. Models of the same type
    must agree and both configs must use the same actions server."""
    where = ",".join(p for p in (base.config_path, other.config_path) if p) or None
    base_models = {model.type: model for model in base.models}
    for model in other.models:
        known = base_models.get(model.type)
        if known is not None and (known.engine, known.model) != (model.engine, model.model):
            raise ConfigError(
                f"both configs define a '{model.type}' model but they differ "
                f"({known.engine}/{known.model} vs {model.engine}/{model.model})",
                file=where, key="models")
    if base.actions_server_url != other.actions_server_url:
        raise ConfigError(f"the configs use different actions servers "
                          f"({base.actions_server_url!r} vs {other.actions_server_url!r})",
                          file=where, key="actions_server_url")
    merged = _join_dict(base.model_dump(), other.model_dump())
    merged["config_path"] = where
    return type(base).validated(merged, file=where)


def _join_dict(first: dict, second: dict) -> dict:
    result = dict(first)
    for key, value in second.items():
        old = first.get(key)
        if value is None and old is not None:
            continue  # an unset value never erases the other config's
        if isinstance(old, dict) and isinstance(value, dict):
            result[key] = _join_dict(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            result[key] = _unique_concat(value, old)
        else:
            result[key] = value
    return result


def _unique_concat(first: list, second: list) -> list[Any]:
    result = list(first)
    for item in second:
        if item not in result:
            result.append(item)
    return result
