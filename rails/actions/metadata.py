"""What an action tells the engine and the model about itself, whatever kind of action it is
(Python, declared as data, remote, an MCP server's tool).

Keys (all optional), given as `@action(...)` keyword arguments, in the `actions_metadata:`
section of config.yml, or by a declared action's own fields:

- `description`: what the action does and when to use it (default: the first docstring line).
- `similes` (or `aliases`): other names that resolve to this action (`execute DRAW` runs
  `GENERATE_IMAGE`); matched exactly first, then ignoring case.
- `examples`: conversations showing the action in use, as in ElizaOS: a list of
  conversations, each a list of `{"name" (or "user"), "content": {"text", "actions"}}`.
- `validate`: availability for the current turn. A callable taking any of `message` (the
  user's last text), `context` (the conversation variables), `state`, `events`, `user` (the
  caller's identity), sync or async, returning a truthy value; or a condition expression in
  the flow language (`"'draw' in $message"`), evaluated over the context plus `$message`
  and `$user`.
- `parameters`: a JSON schema of the arguments; by default derived from the callable's
  signature (type hints, defaults, injected parameters left out).
- hints, with MCP's tool-annotation meanings: `read_only` (changes nothing), `destructive`
  (may destroy or overwrite; only meaningful when not read-only), `idempotent` (calling it
  twice with the same arguments has no further effect), `open_world` (reaches outside the
  system: web, mail, other services). MCP's names (`readOnlyHint`, ...) are accepted too.

Permission keys (`roles`, `organisations`, `callers`, `confirm`) are read by `rails.policy`.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Optional

from rails.errors import ActionError, ConfigError

HINTS = ("read_only", "destructive", "idempotent", "open_world")
_MCP_HINT_NAMES = {"readOnlyHint": "read_only", "destructiveHint": "destructive",
                   "idempotentHint": "idempotent", "openWorldHint": "open_world"}
# Arguments a `validate` callable may name; anything else it names must have a default.
VALIDATE_ARGUMENTS = frozenset({"message", "context", "state", "events", "user", "config"})
METADATA_KEYS = frozenset({"description", "similes", "aliases", "examples", "validate",
                           "parameters", "title", *HINTS, *_MCP_HINT_NAMES})


@dataclass(frozen=True)
class ActionMetadata:
    """The normalized metadata of one action. `parameters` is None when it is to be derived
    from the callable's signature (see `rails.actions.schema`)."""

    name: str
    description: str = ""
    title: Optional[str] = None
    similes: tuple = ()
    examples: tuple = ()
    validate: Any = None           # None, a callable, or a condition expression (text)
    parameters: Optional[dict] = None
    read_only: Optional[bool] = None
    destructive: Optional[bool] = None
    idempotent: Optional[bool] = None
    open_world: Optional[bool] = None
    _validator: Any = field(default=None, compare=False, repr=False)

    # -- hints with MCP's defaults (a tool that says nothing may do anything) ---------------

    @property
    def is_read_only(self) -> bool:
        return bool(self.read_only)

    @property
    def is_destructive(self) -> bool:
        """MCP's default: a tool that is not read-only is assumed destructive unless it says
        `destructive: false`."""
        if self.is_read_only:
            return False
        return True if self.destructive is None else bool(self.destructive)

    def annotations(self) -> dict:
        """MCP `ToolAnnotations`: every hint, with MCP's defaults filled in."""
        result: dict[str, Any] = {
            "readOnlyHint": self.is_read_only,
            "destructiveHint": self.is_destructive,
            "idempotentHint": bool(self.idempotent),
            "openWorldHint": True if self.open_world is None else bool(self.open_world),
        }
        if self.title:
            result["title"] = self.title
        return result

    def with_overrides(self, overrides: Mapping[str, Any], where: str = "") -> "ActionMetadata":
        """A copy with the keys of `overrides` (same forms as `@action` accepts) applied."""
        merged = normalize_metadata(self.name, overrides, where=where)
        changes = {key: getattr(merged, key) for key in _given_keys(overrides)}
        return replace(self, **changes, _validator=None) if changes else self

    # -- availability ------------------------------------------------------------------------

    async def is_available(self, *, message: Optional[str] = None,
                           context: Optional[Mapping[str, Any]] = None, state: Any = None,
                           events: Optional[list] = None, user: Any = None,
                           config: Any = None) -> bool:
        """Whether `validate` allows the action now (True when it has none). A validator that
        raises counts as "not available" and the error names the action."""
        if self.validate is None:
            return True
        return await self.check_available(availability_arguments(
            message=message, context=context, state=state, events=events, user=user,
            config=config))

    async def check_available(self, arguments: dict) -> bool:
        """`is_available` with the arguments built once per turn (`availability_arguments`)
        for all the actions checked in it."""
        check = self.validate
        if check is None:
            return True
        validator = self._validator
        if validator is None:
            validator = _build_validator(self.name, check)
            object.__setattr__(self, "_validator", validator)
        try:
            result = validator(arguments)
            if inspect.isawaitable(result):
                result = await result
        except Exception as error:  # user code: any failure means "not now", said clearly
            raise ActionError(f"the validate check of action '{self.name}' failed: "
                              f"{type(error).__name__}: {error}",
                              action_name=self.name) from error
        return bool(result)


def availability_arguments(*, message: Optional[str] = None,
                           context: Optional[Mapping[str, Any]] = None, state: Any = None,
                           events: Optional[list] = None, user: Any = None,
                           config: Any = None) -> dict:
    arguments = {"message": message, "context": dict(context or {}), "state": state,
                 "events": events, "user": user, "config": config}
    # The variables of condition expressions, shared by every condition checked this turn.
    arguments["_variables"] = {**arguments["context"], "message": message, "user": user}
    return arguments


def _given_keys(values: Mapping[str, Any]) -> set[str]:
    keys = set()
    for key in values:
        if key in _MCP_HINT_NAMES:
            keys.add(_MCP_HINT_NAMES[key])
        elif key == "aliases":
            keys.add("similes")
        elif key in METADATA_KEYS:
            keys.add(key)
    return keys


def normalize_metadata(name: str, meta: Mapping[str, Any], target: Any = None, *,
                       where: str = "") -> ActionMetadata:
    """Check and normalize the metadata keys of `meta` (other keys are ignored); a wrong type
    is an error naming the action and the key. `target` supplies the default description."""
    label = f"{where}: " if where else ""

    def fail(key: str, expected: str) -> None:
        raise ConfigError(f"{label}action '{name}': `{key}` must be {expected}, not "
                          f"{type(meta[key]).__name__} {meta[key]!r}"[:400],
                          key=f"{name}.{key}")

    description = meta.get("description")
    if description is None:
        from rails.actions.schema import first_doc_line

        description = first_doc_line(target) if target is not None else ""
    elif not isinstance(description, str):
        fail("description", "a string")
    title = meta.get("title")
    if title is not None and not isinstance(title, str):
        fail("title", "a string")

    similes: list[str] = []
    for key in ("similes", "aliases"):
        value = meta.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(
                isinstance(item, str) and item.strip() for item in value):
            fail(key, "a list of non-empty names")
        similes.extend(item.strip() for item in value if item.strip() not in similes)

    examples = meta.get("examples")
    if examples is None:
        examples = ()
    else:
        examples = tuple(_checked_examples(name, examples, label))

    validate = meta.get("validate")
    if validate is not None and not callable(validate):
        if not isinstance(validate, str) or not validate.strip():
            fail("validate", "a callable or a condition expression")
        _compile_condition(name, validate, label)

    parameters = meta.get("parameters")
    if parameters is not None:
        if not isinstance(parameters, dict):
            fail("parameters", "a JSON schema object")
        parameters = _checked_schema(name, parameters, label)

    hints: dict[str, Optional[bool]] = {hint: None for hint in HINTS}
    for key, value in meta.items():
        hint = _MCP_HINT_NAMES.get(key, key if key in HINTS else None)
        if hint is None or value is None:
            continue
        if not isinstance(value, bool):
            fail(key, "true or false")
        hints[hint] = value
    return ActionMetadata(name=name, description=description.strip(), title=title,
                          similes=tuple(similes), examples=examples, validate=validate,
                          parameters=parameters, **hints)


def _checked_examples(name: str, examples: Any, label: str) -> list:
    problem = (f"{label}action '{name}': `examples` must be a list of conversations, each a "
               "list of messages like {\"name\": \"{{user1}}\", \"content\": {\"text\": ...}}")
    if not isinstance(examples, (list, tuple)):
        raise ConfigError(problem, key=f"{name}.examples")
    checked = []
    for conversation in examples:
        if not isinstance(conversation, (list, tuple)) or not conversation:
            raise ConfigError(problem, key=f"{name}.examples")
        turns = []
        for turn in conversation:
            if not isinstance(turn, dict) or not isinstance(turn.get("content"), dict) \
                    or not isinstance(turn["content"].get("text", ""), str):
                raise ConfigError(problem, key=f"{name}.examples")
            turns.append(turn)
        checked.append(tuple(turns))
    return checked


def _checked_schema(name: str, schema: dict, label: str) -> dict:
    kind = schema.get("type", "object")
    properties = schema.get("properties", {})
    if kind != "object" or not isinstance(properties, dict) or not isinstance(
            schema.get("required", []), list):
        raise ConfigError(f"{label}action '{name}': `parameters` must be a JSON schema of type "
                          "object with `properties` (an object) and `required` (a list)",
                          key=f"{name}.parameters")
    return {"type": "object", **schema, "properties": dict(properties)}


def _compile_condition(name: str, text: str, label: str) -> Any:
    from rails.errors import ColangSyntaxError
    from rails.lang import compile_expression

    try:
        return compile_expression(text)
    except ColangSyntaxError as error:
        raise ConfigError(f"{label}action '{name}': `validate` is not a valid condition: "
                          f"{error}", key=f"{name}.validate") from error


def _build_validator(name: str, check: Any) -> Callable[[dict], Any]:
    """A function of the argument dict, calling `check` the way it asks to be called."""
    if isinstance(check, str):
        expression = _compile_condition(name, check, "")

        def condition(arguments: dict) -> Any:
            return expression.evaluate(arguments["_variables"])

        return condition
    try:
        signature = inspect.signature(check)
    except (TypeError, ValueError):
        return lambda arguments: check(**{key: arguments[key] for key in VALIDATE_ARGUMENTS})
    wanted = []
    takes_all = False
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            takes_all = True
        elif parameter.name in VALIDATE_ARGUMENTS:
            wanted.append(parameter.name)
        elif parameter.default is inspect.Parameter.empty and parameter.kind not in (
                inspect.Parameter.VAR_POSITIONAL,):
            raise ActionError(f"the validate check of action '{name}' takes a parameter "
                              f"`{parameter.name}`; it may take any of "
                              f"{', '.join(sorted(VALIDATE_ARGUMENTS))}", action_name=name)
    if takes_all:
        return lambda arguments: check(**{key: arguments[key] for key in VALIDATE_ARGUMENTS})
    return lambda arguments: check(**{key: arguments[key] for key in wanted})


def similes_index(entries: Mapping[str, ActionMetadata]) -> dict[str, str]:
    """Alias -> action name, exact spellings and lower-cased ones; a real action name is
    never shadowed by another action's alias, and of two actions claiming one alias the
    first registered keeps it."""
    index: dict[str, str] = {}
    for name, metadata in entries.items():
        for alias in metadata.similes:
            for key in (alias, alias.lower()):
                if key not in entries and key not in index:
                    index[key] = name
    return index


def example_lines(metadata: ActionMetadata, limit: int = 2) -> list[str]:
    """The action's example conversations as plain lines ("user: ...", "assistant: ...
    [ACTION]"), at most `limit` conversations."""
    lines: list[str] = []
    for conversation in metadata.examples[:limit]:
        first = None
        for turn in conversation:
            speaker = str(turn.get("name") or turn.get("user") or "")
            first = speaker if first is None else first
            role = "user" if speaker == first or "user" in speaker.lower() else "assistant"
            content = turn["content"]
            text = str(content.get("text", "")).strip()
            actions = content.get("actions") or ([content["action"]] if content.get("action")
                                                 else [])
            suffix = f" [{', '.join(map(str, actions))}]" if actions else ""
            lines.append(f"{role}: {text}{suffix}")
        lines.append("")
    return lines[:-1] if lines else lines
