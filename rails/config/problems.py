"""Turns pydantic validation errors into ConfigErrors that name the file, the key path and the
problem in plain words (e.g. `config.yml: rails.input.flows: expected a list of flow names,
got a string`)."""
from __future__ import annotations

import difflib
from typing import Any, Iterable, Mapping

from pydantic import ValidationError

from rails.errors import ConfigError

# What a list of each of these keys holds, for "expected a list of ..." messages.
_LIST_ITEMS = {
    "flows": "flow names", "models": "models", "prompts": "prompts", "instructions":
    "instructions", "import_paths": "paths", "docs": "documents", "stop": "strings",
    "entities": "entity names", "messages": "messages",
}


def describe_value(value: Any) -> str:
    """How a YAML value reads to the person who wrote it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({value!r})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def key_path(loc: Iterable[Any]) -> str:
    """`('models', 0, 'engine')` -> `models[0].engine`; drops pydantic's union/type tags."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and (part[:1].isupper() or "[" in part):
            continue  # a type tag such as 'MessageTemplate' or 'function-after[...]'
        else:
            text += f".{part}" if text else str(part)
    return text


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)


def suggestion(name: str, candidates: Iterable[str]) -> str:
    matches = closest(name, candidates, n=1)
    return f"; did you mean '{matches[0]}'?" if matches else ""


def _message(error: dict, known_keys: Mapping[str, Iterable[str]]) -> str:
    kind, loc, value = error["type"], error["loc"], error.get("input")
    last = next((p for p in reversed(loc) if isinstance(p, str) and p[:1].islower()), "")
    if kind == "extra_forbidden":
        return "unknown key" + suggestion(str(loc[-1]), known_keys.get(key_path(loc[:-1]), ()))
    if kind == "list_type":
        items = _LIST_ITEMS.get(last)
        return f"expected a list{' of ' + items if items else ''}, got {describe_value(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping, got {describe_value(value)}"
    if kind == "string_type":
        return f"expected a string, got {describe_value(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {value!r}"
    if kind.startswith(("int_", "float_")):
        return f"expected a number, got {describe_value(value)}"
    if kind == "missing":
        return "required key is missing"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def config_error(exc: ValidationError, file: str | None,
                 known_keys: Mapping[str, Iterable[str]] | None = None) -> ConfigError:
    """One ConfigError for all problems of `exc`; the first names the key, others follow.
    `known_keys` maps a section's key path ("" for the top level) to its valid keys, for
    "did you mean" suggestions."""
    problems = [(key_path(err["loc"]), _message(err, known_keys or {})) for err in exc.errors()]
    key, message = problems[0]
    for other_key, other_message in problems[1:]:
        message += f"\n  {other_key}: {other_message}" if other_key else f"\n  {other_message}"
    return ConfigError(message, file=file, key=key or None)
