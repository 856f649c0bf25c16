"""A JSON description of an action: name, whether it is a system action, a one-line description
and a JSON schema of the parameters a caller supplies (special injected parameters left out).
Served by the actions server's list endpoint; usable later to offer actions to an LLM."""
from __future__ import annotations

import inspect
import typing
from typing import Any

from rails.actions.callables import CONTEXT_PREFIX, CallSpec

# Parameters the engine fills in; a caller never supplies them.
SPECIAL_PARAMETERS = frozenset({"context", "events", "llm", "llms", "config",
                                "llm_task_manager", "state", "kb"})

_SIMPLE_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean",
                 list: "array", tuple: "array", set: "array", dict: "object",
                 type(None): "null"}
_TYPE_NAMES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean",
               "list": "array", "List": "array", "tuple": "array", "Tuple": "array",
               "dict": "object", "Dict": "object", "None": "null"}


def is_special(name: str) -> bool:
    return name in SPECIAL_PARAMETERS or name.endswith("_llm") or name.startswith(CONTEXT_PREFIX)


def describe_action(name: str, target: Any, meta: dict, spec: CallSpec,
                    metadata: Any = None) -> dict:
    """`metadata` (an ActionMetadata) adds similes, the hints as MCP annotations and a
    declared parameter schema."""
    described = {
        "name": name,
        "is_system_action": bool(meta.get("is_system_action", False)),
        "description": meta.get("description") or first_doc_line(target),
        "parameters": parameters_schema(spec),
    }
    if metadata is not None:
        described["description"] = metadata.description
        if metadata.parameters is not None:
            described["parameters"] = metadata.parameters
        described["similes"] = list(metadata.similes)
        described["annotations"] = metadata.annotations()
    return described


def first_doc_line(target: Any) -> str:
    doc = inspect.getdoc(target)
    if not doc and callable(getattr(target, "run", None)):
        doc = inspect.getdoc(target.run)
    return doc.strip().splitlines()[0] if doc and doc.strip() else ""


def parameters_schema(spec: CallSpec) -> dict:
    properties: dict[str, dict] = {}
    required: list[str] = []
    signature = spec.signature
    for name in spec.ordered:
        if is_special(name):
            continue
        parameter = signature.parameters[name] if signature is not None else None
        entry: dict[str, Any] = {}
        if parameter is not None:
            json_type = _json_type(parameter.annotation)
            if json_type:
                entry["type"] = json_type
            if parameter.default is inspect.Parameter.empty:
                required.append(name)
            elif _jsonable(parameter.default):
                entry["default"] = parameter.default
        properties[name] = entry
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if spec.var_keyword:
        schema["additionalProperties"] = True
    return schema


def _json_type(annotation: Any) -> Any:
    """The JSON type of a simple annotation (`str`, `Optional[int]`, `list[str]`, "str"...), or
    None when it is not simple."""
    if annotation is inspect.Parameter.empty:
        return None
    if isinstance(annotation, str):
        text = annotation.replace(" ", "").strip("'\"")
        for wrapper in ("Optional[", "typing.Optional["):
            if text.startswith(wrapper) and text.endswith("]"):
                text = text[len(wrapper):-1]
        if text.endswith("|None"):
            text = text[:-5]
        return _TYPE_NAMES.get(text.split("[", 1)[0])
    if annotation in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[annotation]
    origin = typing.get_origin(annotation)
    if origin in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[origin]
    arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is not None and len(arguments) == 1 and len(typing.get_args(annotation)) == 2:
        return _json_type(arguments[0])  # Optional[X] / X | None
    return None


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))
