"""Structured output: the model's answer read as JSON and checked against a JSON schema.

Models wrap JSON in prose or code fences often enough that the answer is searched for it: a
fenced block first, else the first `{`/`[` that starts a complete JSON value. What fails
(no JSON, or JSON that breaks the schema) is described in one sentence, which is what the
repair prompt shows the model and, after the repair failed too, what the error says."""
from __future__ import annotations

import json
import re
from typing import Any, Optional

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)\n?```", re.DOTALL)
_EXCERPT = 200


class NotStructured(ValueError):
    """The answer is not the JSON asked for; the message says why."""


def read_json(reply: str, schema: Optional[dict]) -> Any:
    value = _find_json(reply)
    if schema is not None:
        _validate(value, schema)
    return value


def repair_prompt(prompt: str, reply: str, problem: str, schema: Optional[dict]) -> str:
    """The second attempt: the original task, the answer given and what was wrong with it."""
    wanted = ("a JSON value matching this JSON schema:\n" + json.dumps(schema, indent=2)
              if schema is not None else "valid JSON")
    return (f"{prompt}\n\n---\nYour previous answer was:\n{reply}\n\nIt could not be used: "
            f"{problem}\nAnswer again with only {wanted}\nNo other text.")


def excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "..."


def _find_json(reply: str) -> Any:
    text = reply.strip()
    if not text:
        raise NotStructured("the answer is empty, not JSON")
    candidates = [match.group(1) for match in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            pass
    decoder = json.JSONDecoder()
    for start in (i for i, char in enumerate(text) if char in "{["):
        try:
            value, _ = decoder.raw_decode(text, start)
            return value
        except ValueError:
            continue
    raise NotStructured(f"the answer is not JSON: {excerpt(text)!r}")


def _validate(value: Any, schema: dict) -> None:
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path)
        raise NotStructured(f"the JSON does not match the schema"
                            f"{' at ' + where if where else ''}: {error.message}")
