"""What a declared LLM action is: the fields of seed 002, checked, with their defaults.

    {"action_name": "summarize_document", "kind": "llm",
     "description": "Summarize a document in 3 bullet points",
     "template": "Summarize ...:\n\n{{document_text}}",
     "model": "gpt-4", "max_tokens": 500, "temperature": 0.7, "outputKey": "summary"}

`parse_declaration` checks every field and reports all problems at once (each naming its
field), so an HTTP client gets one 422 listing them and a config author one error. Our
additions, all optional: `output_format: "json"` and `output_schema` (structured output),
`timeout` (seconds the model may take), the metadata an LLM choosing actions reads
(`similes`, `examples`, `validate`), and the permissions of `rails.policy` (`roles`: the
user needs one of them; `callers`: which of `flow`, `model`, `http`, `button` may run it)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from rails.actions.declared.errors import DeclarationError
from rails.actions.declared.template import Template, TemplateSyntaxError, parse_template
from rails.actions.schema import is_special

DEFAULT_MAX_TOKENS = 1024
DEFAULT_TEMPERATURE = 0.7
TEMPERATURE_RANGE = (0.0, 1.0)          # the seed's range
MAX_TOKENS_LIMIT = 200_000
DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 600.0
MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 4_000
# Paths of the actions server that an action name would shadow.
RESERVED_NAMES = frozenset({"run", "list"})
KINDS = ("llm",)
OUTPUT_FORMATS = ("text", "json")

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FIELDS = ("action_name", "kind", "description", "template", "model", "max_tokens",
          "temperature", "outputKey", "output_format", "output_schema", "timeout",
          "similes", "examples", "validate", "roles", "callers")


@dataclass(frozen=True)
class LLMActionDeclaration:
    action_name: str
    template: Template
    kind: str = "llm"
    description: str = ""
    model: Optional[str] = None             # None: the config's main model
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = DEFAULT_TEMPERATURE
    output_key: Optional[str] = None
    output_format: str = "text"
    output_schema: Optional[dict] = None
    timeout: float = DEFAULT_TIMEOUT
    similes: tuple[str, ...] = ()
    examples: tuple = ()
    validate: Optional[str] = None
    roles: tuple[str, ...] = ()
    callers: Optional[tuple[str, ...]] = None   # None: rails.policy's default callers

    @property
    def name(self) -> str:
        return self.action_name

    @property
    def placeholders(self) -> tuple[str, ...]:
        return self.template.placeholders

    @property
    def wants_json(self) -> bool:
        return self.output_format == "json"

    def parameters_schema(self) -> dict:
        """A JSON schema of the values a caller gives: one required string per placeholder."""
        properties = {name: {"type": "string",
                             "description": f"fills {{{{{name}}}}} in the prompt"}
                      for name in self.placeholders}
        return {"type": "object", "properties": properties,
                "required": list(self.placeholders), "additionalProperties": False}

    def to_dict(self) -> dict:
        """The declaration as JSON, defaults filled in (what the actions server stores and
        answers with); `parse_declaration(d.to_dict())` gives `d` back."""
        data: dict[str, Any] = {
            "action_name": self.action_name, "kind": self.kind,
            "description": self.description, "template": self.template.source,
            "model": self.model, "max_tokens": self.max_tokens,
            "temperature": self.temperature, "outputKey": self.output_key,
            "output_format": self.output_format, "timeout": self.timeout,
        }
        if self.output_schema is not None:
            data["output_schema"] = self.output_schema
        if self.similes:
            data["similes"] = list(self.similes)
        if self.examples:
            data["examples"] = list(self.examples)
        if self.validate is not None:
            data["validate"] = self.validate
        data.update(self._policy())
        return data

    def _policy(self) -> dict:
        policy: dict[str, Any] = {}
        if self.roles:
            policy["roles"] = list(self.roles)
        if self.callers is not None:
            policy["callers"] = list(self.callers)
        return policy

    def meta(self) -> dict:
        """The action's metadata in the shape of the engine's action records (name,
        description, similes, examples, validate, parameter schema, MCP-style hints). A
        prompt changes nothing in the world: read-only; sampling makes it not idempotent."""
        return {"name": self.action_name, "description": self.description,
                "similes": list(self.similes), "examples": list(self.examples),
                "validate": self.validate, "parameters": self.parameters_schema(),
                "read_only": True, "destructive": False, "idempotent": False,
                "open_world": False, **self._policy()}


def parse_declaration(data: Any, *, name: Optional[str] = None) -> LLMActionDeclaration:
    """A checked declaration from a JSON/YAML mapping; `name` (e.g. from a URL path) must
    agree with `action_name` and stands in for it when that is missing. Raises
    DeclarationError listing every problem."""
    if not isinstance(data, Mapping):
        raise DeclarationError([("", f"a declaration is a JSON object, not "
                                     f"{_kind_of(data)}")], action_name=name)
    problems: list[tuple[str, str]] = []
    check = _Checker(data, problems)

    for key in data:
        if key not in FIELDS:
            problems.append((str(key), "unknown field" + _did_you_mean(str(key))))

    action_name = check.string("action_name", required=name is None)
    if action_name is None:
        action_name = name
    elif name is not None and action_name != name:
        problems.append(("action_name", f"'{action_name}' differs from the name in the path "
                                        f"('{name}')"))
    if action_name is not None and not problems_for(problems, "action_name"):
        _check_name(action_name, problems)

    kind = check.string("kind", required=True)
    if kind is not None and kind not in KINDS:
        problems.append(("kind", f"must be \"llm\" (the only kind of declared action), not "
                                 f"{kind!r}"))

    template = None
    source = check.string("template", required=True)
    if source is not None:
        if not source.strip():
            problems.append(("template", "is empty"))
        else:
            try:
                template = parse_template(source)
            except TemplateSyntaxError as error:
                problems.append(("template", str(error)))
    if template is not None:
        for placeholder in template.placeholders:
            if is_special(placeholder):
                problems.append(("template", f"the placeholder {{{{{placeholder}}}}} has a "
                                             "name the engine fills in itself (context, "
                                             "events, llm, config, ...); rename it"))

    description = check.string("description") or ""
    if len(description) > MAX_DESCRIPTION_CHARS:
        problems.append(("description", f"is {len(description)} characters long; the limit "
                                        f"is {MAX_DESCRIPTION_CHARS}"))
    model = check.string("model")
    if model is not None and not model.strip():
        problems.append(("model", "is empty; leave it out to use the main model"))
    max_tokens = check.integer("max_tokens", 1, MAX_TOKENS_LIMIT, DEFAULT_MAX_TOKENS)
    temperature = check.number("temperature", *TEMPERATURE_RANGE, DEFAULT_TEMPERATURE)
    timeout = check.number("timeout", 0.0, MAX_TIMEOUT, DEFAULT_TIMEOUT, exclusive_low=True)
    output_key = check.string("outputKey")
    if output_key is not None and not _IDENTIFIER.fullmatch(output_key):
        problems.append(("outputKey", f"{output_key!r} is not a variable name (letters, "
                                      "digits and _)"))
    output_format = check.string("output_format")
    schema = data.get("output_schema")
    if output_format is None:
        output_format = "json" if schema is not None else "text"
    elif output_format not in OUTPUT_FORMATS:
        problems.append(("output_format", f"must be \"text\" or \"json\", not "
                                          f"{output_format!r}"))
    if schema is not None:
        if output_format == "text":
            problems.append(("output_schema", "needs output_format \"json\""))
        else:
            _check_schema(schema, problems)
    similes = check.string_list("similes")
    examples = data.get("examples")
    if examples is not None and not isinstance(examples, list):
        problems.append(("examples", f"expected a list, got {_kind_of(examples)}"))
    validate = check.string("validate")
    if validate is not None:
        _check_condition(validate, problems)
    roles = check.string_list("roles")
    callers = check.string_list("callers")
    if callers is not None:
        from rails.policy.rules import CALLERS

        unknown = [caller for caller in callers if caller not in CALLERS]
        if unknown:
            problems.append(("callers", f"unknown caller(s) {', '.join(unknown)}; use "
                                        f"{', '.join(CALLERS)}"))

    if problems:
        raise DeclarationError(problems, action_name=action_name if isinstance(
            action_name, str) else None)
    return LLMActionDeclaration(
        action_name=action_name, template=template, kind=kind, description=description,
        model=model, max_tokens=max_tokens, temperature=temperature, output_key=output_key,
        output_format=output_format, output_schema=schema, timeout=timeout,
        similes=tuple(similes or ()), examples=tuple(examples or ()), validate=validate,
        roles=tuple(roles or ()), callers=tuple(callers) if callers is not None else None)


def problems_for(problems: list[tuple[str, str]], key: str) -> bool:
    return any(field == key for field, _ in problems)


def _check_name(name: str, problems: list[tuple[str, str]]) -> None:
    if not _IDENTIFIER.fullmatch(name):
        problems.append(("action_name", f"{name!r} is not a valid name: letters, digits and "
                                        "_, not starting with a digit"))
    elif len(name) > MAX_NAME_CHARS:
        problems.append(("action_name", f"is longer than {MAX_NAME_CHARS} characters"))
    elif name in RESERVED_NAMES:
        problems.append(("action_name", f"'{name}' is reserved (a path of the actions "
                                        "server)"))


def _check_schema(schema: Any, problems: list[tuple[str, str]]) -> None:
    if not isinstance(schema, dict):
        problems.append(("output_schema", f"expected a JSON schema object, got "
                                          f"{_kind_of(schema)}"))
        return
    import jsonschema  # only declarations with a schema pay for it

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as error:
        where = "/".join(str(part) for part in error.path)
        problems.append(("output_schema", f"not a valid JSON schema"
                                          f"{' at ' + where if where else ''}: "
                                          f"{error.message}"))


def _check_condition(text: str, problems: list[tuple[str, str]]) -> None:
    from rails.errors import ColangSyntaxError
    from rails.lang import compile_expression

    try:
        compile_expression(text)
    except ColangSyntaxError as error:
        problems.append(("validate", f"not a valid condition: {error.message}"))


def _did_you_mean(key: str) -> str:
    import difflib

    close = difflib.get_close_matches(key, FIELDS, n=1, cutoff=0.6)
    if not close and key.lower().replace("_", "") == "outputkey":
        close = ["outputKey"]
    return f"; did you mean '{close[0]}'?" if close else ""


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


class _Checker:
    """Reads fields of one declaration, noting a problem for each wrong value."""

    def __init__(self, data: Mapping, problems: list[tuple[str, str]]):
        self.data, self.problems = data, problems

    def string(self, key: str, *, required: bool = False) -> Optional[str]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.append((key, "is required"))
            return None
        if not isinstance(value, str):
            self.problems.append((key, f"expected a string, got {_kind_of(value)}"))
            return None
        return value

    def integer(self, key: str, low: int, high: int, default: int) -> int:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.append((key, f"expected a whole number, got {_kind_of(value)}"))
            return default
        if not low <= value <= high:
            self.problems.append((key, f"must be between {low} and {high}, got {value}"))
        return value

    def number(self, key: str, low: float, high: float, default: float, *,
               exclusive_low: bool = False) -> float:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problems.append((key, f"expected a number, got {_kind_of(value)}"))
            return default
        too_low = value <= low if exclusive_low else value < low
        if math.isnan(value) or too_low or value > high:
            bound = f"more than {low:g}" if exclusive_low else f"at least {low:g}"
            self.problems.append((key, f"must be {bound} and at most {high:g}, got {value}"))
        return float(value)

    def string_list(self, key: str) -> Optional[list[str]]:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problems.append((key, "expected a list of strings"))
            return None
        return value
