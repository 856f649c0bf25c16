"""Turns validation problems (`rails.config.schema.Problem`) into ConfigErrors that name the
file, the key path and the problem in plain words (e.g. `config.yml: rails.input.flows:
expected a list of flow names, got a string`)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from rails.errors import ConfigError

if TYPE_CHECKING:
    from rails.config.schema import Problem, ValidationError

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
    """`('models', 0, 'engine')` -> `models[0].engine`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    import difflib  # only needed when something is wrong: kept off the start-up path

    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)


def suggestion(name: str, candidates: Iterable[str]) -> str:
    matches = closest(name, candidates, n=1)
    return f"; did you mean '{matches[0]}'?" if matches else ""


def _mismatch(problem: Problem) -> tuple[str, str] | None:
    """(what was expected, what was found) when `problem` is a value of the wrong type."""
    kind, value = problem.kind, problem.input
    if kind == "list_type":
        items = _LIST_ITEMS.get(next((p for p in reversed(problem.loc) if isinstance(p, str)), ""))
        return f"a list{' of ' + items if items else ''}", describe_value(value)
    if kind in ("dict_type", "model_type"):
        return "a mapping", describe_value(value)
    if kind == "string_type":
        return "a string", describe_value(value)
    if kind in ("bool_type", "bool_parsing"):
        return "true or false", repr(value)
    if kind.startswith(("int_", "float_")):
        return "a number", describe_value(value)
    return None


def _misspelled(problem: Problem) -> str:
    """`engin: openai` where `engine` is required: name the key that was probably meant."""
    data, wanted = problem.input, problem.loc[-1] if problem.loc else None
    if not isinstance(data, dict) or not isinstance(wanted, str):
        return ""
    given = [key for key in data if isinstance(key, str) and key != wanted]
    matches = closest(wanted, given, n=1)
    return (f"; the key '{matches[0]}' is given instead (did you mean '{wanted}'?)"
            if matches else "")


def problem_message(problem: Problem,
                    known_keys: Mapping[str, Iterable[str]] | None = None) -> str:
    """`problem` in plain words; `known_keys` as for `config_error`."""
    mismatch = _mismatch(problem)
    if mismatch:
        return f"expected {mismatch[0]}, got {mismatch[1]}"
    if problem.kind == "extra_forbidden":
        candidates = (known_keys or {}).get(key_path(problem.loc[:-1]), ())
        return "unknown key" + suggestion(str(problem.loc[-1]), candidates)
    if problem.kind == "missing":
        return "required key is missing" + _misspelled(problem)
    return problem.message


def render_problems(problems: Iterable[Problem],
                    known_keys: Mapping[str, Iterable[str]] | None = None
                    ) -> list[tuple[str, str]]:
    """(key path, message) of each problem. A value that fits none of the types of a union
    has one mismatch per type at the same key; they read as one: `expected a mapping or a
    string, got a number (1)`."""
    rendered: list[tuple[str, str]] = []
    previous: tuple[str, list[str], str] | None = None  # key, expected types, what was found
    for problem in problems:
        key, mismatch = key_path(problem.loc), _mismatch(problem)
        if mismatch and previous and previous[0] == key and previous[2] == mismatch[1]:
            previous[1].append(mismatch[0])
            rendered[-1] = (key, f"expected {' or '.join(previous[1])}, got {mismatch[1]}")
            continue
        previous = (key, [mismatch[0]], mismatch[1]) if mismatch else None
        rendered.append((key, problem_message(problem, known_keys)))
    return rendered


def config_error(exc: ValidationError, file: str | None,
                 known_keys: Mapping[str, Iterable[str]] | None = None) -> ConfigError:
    """One ConfigError for all problems of `exc`; the first names the key, others follow.
    `known_keys` maps a section's key path ("" for the top level) to its valid keys, for
    "did you mean" suggestions."""
    problems = render_problems(exc.problems, known_keys)
    key, message = problems[0]
    for other_key, other_message in problems[1:]:
        message += f"\n  {other_key}: {other_message}" if other_key else f"\n  {other_message}"
    return ConfigError(message, file=file, key=key or None)
