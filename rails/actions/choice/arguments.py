"""The model's arguments for a tool, checked against the action's parameter schema before the
action runs; every problem is named, so the model can correct itself."""
from __future__ import annotations

import json
from typing import Any

from rails.actions.schema import is_special

_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
          "array": (list,), "object": (dict,), "null": (type(None),)}


class BadArguments(ValueError):
    pass


def parse_arguments(raw: Any) -> dict:
    """A dict from what the model sent (a dict, or JSON text of an object)."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as error:
            raise BadArguments(f"the arguments are not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise BadArguments(f"the arguments must be a JSON object, not {type(raw).__name__}")
    return raw


def check_arguments(arguments: dict, schema: dict) -> dict:
    """`arguments` if they fit `schema`; else BadArguments listing every problem."""
    properties = schema.get("properties") or {}
    problems = []
    for name in schema.get("required") or ():
        if name not in arguments:
            problems.append(f"missing required argument `{name}`")
    open_ended = schema.get("additionalProperties", False) not in (False, None)
    for name, value in arguments.items():
        if is_special(name):
            problems.append(f"`{name}` is filled in by the engine, not an argument")
            continue
        spec = properties.get(name)
        if spec is None:
            if not open_ended:
                known = ", ".join(properties) or "none"
                problems.append(f"unknown argument `{name}` (arguments: {known})")
            continue
        problem = _type_problem(name, value, spec)
        if problem:
            problems.append(problem)
    if problems:
        raise BadArguments("; ".join(problems))
    return arguments


def _type_problem(name: str, value: Any, spec: dict) -> str:
    kinds = spec.get("type")
    if kinds is None:
        return ""
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    for kind in kinds:
        accepted = _TYPES.get(kind)
        if accepted is None:
            return ""
        if isinstance(value, bool) and kind in ("integer", "number"):
            continue
        if isinstance(value, accepted):
            if "enum" in spec and value not in spec["enum"]:
                return f"`{name}` must be one of {spec['enum']}, not {value!r}"
            return ""
    return f"`{name}` must be of type {' or '.join(kinds)}, not {type(value).__name__}"
