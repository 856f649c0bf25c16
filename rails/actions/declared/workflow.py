"""Workflow steps in the seed's JSON form, run in order:

    {"type": "summarize_document",
     "properties": {"document_text": "@input.document_content"},
     "outputKey": "summary"}

A property value that is a whole string `@input`, `@input.a.b` or `@name.a.0` refers to the
run's input or to the output an earlier step stored under `name` (dots walk into objects and
list indexes); `@@text` is the literal text `@text`. Values inside lists and objects are
resolved the same way; everything else is passed as it is."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from rails.actions.declared.errors import WorkflowError

MAX_STEPS = 50
_REFERENCE = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_-]+)*)")
_STEP_KEYS = ("type", "properties", "outputKey")


@dataclass(frozen=True)
class Step:
    type: str
    properties: dict
    output_key: Optional[str] = None


def parse_steps(value: Any) -> list[Step]:
    """One step (an object) or a list of them; WorkflowError names the step and field."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise WorkflowError("the workflow has no steps", field="steps")
    if len(items) > MAX_STEPS:
        raise WorkflowError(f"the workflow has {len(items)} steps; the limit is {MAX_STEPS}",
                            field="steps")
    steps = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise WorkflowError(f"step {index} must be an object with type, properties and "
                                "outputKey", step=index)
        unknown = [key for key in item if key not in _STEP_KEYS]
        if unknown:
            raise WorkflowError(f"step {index}: unknown field '{unknown[0]}' (a step has "
                                "type, properties, outputKey)", step=index, field=unknown[0])
        kind = item.get("type")
        if not isinstance(kind, str) or not kind.strip():
            raise WorkflowError(f"step {index}: `type` (the action's name) must be a "
                                "non-empty string", step=index, field="type")
        properties = item.get("properties") or {}
        if not isinstance(properties, Mapping):
            raise WorkflowError(f"step {index} ({kind}): `properties` must be an object",
                                step=index, field="properties")
        output_key = item.get("outputKey")
        if output_key is not None and (not isinstance(output_key, str)
                                       or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*",
                                                           output_key)
                                       or output_key == "input"):
            raise WorkflowError(f"step {index} ({kind}): `outputKey` must be a name (letters, "
                                "digits and _; not `input`)", step=index, field="outputKey")
        steps.append(Step(kind, dict(properties), output_key))
    return steps


def resolve(value: Any, scope: Mapping[str, Any], *, step: int, field: str) -> Any:
    """`value` with its references replaced from `scope` (`input` and earlier outputs)."""
    if isinstance(value, str):
        if value.startswith("@@"):
            return value[1:]
        match = _REFERENCE.fullmatch(value)
        return _lookup(match, scope, step, field) if match else value
    if isinstance(value, list):
        return [resolve(item, scope, step=step, field=field) for item in value]
    if isinstance(value, Mapping):
        return {key: resolve(item, scope, step=step, field=field)
                for key, item in value.items()}
    return value


def _lookup(match: re.Match, scope: Mapping[str, Any], step: int, field: str) -> Any:
    name, path = match.group(1), match.group(2)
    reference = match.group(0)
    if name not in scope:
        known = ", ".join("@" + key for key in scope) or "none"
        raise WorkflowError(f"step {step}, property '{field}': {reference} refers to nothing "
                            f"(known: {known}; an output exists once its step has run)",
                            step=step, field=field)
    value = scope[name]
    walked = "@" + name
    for part in path.split(".")[1:]:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise WorkflowError(f"step {step}, property '{field}': {reference}: {walked} has "
                                f"no '{part}'", step=step, field=field)
        walked += "." + part
    return value
