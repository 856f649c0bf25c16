"""Generation options from a dict, with problems in plain words: `options.llm_params: expected
a mapping, got a number (5)` instead of a pydantic traceback."""
from __future__ import annotations

from typing import Any

from rails.errors import GenerationOptionsError


def coerce_options(options: Any) -> Any:
    """A GenerationOptions from None, a dict or a GenerationOptions."""
    from rails.options import GenerationOptions

    if options is None:
        return GenerationOptions()
    if isinstance(options, GenerationOptions):
        return options
    if not isinstance(options, dict):
        raise GenerationOptionsError("`options` must be a dict or a GenerationOptions, got "
                                     f"{type(options).__name__}")
    try:
        return GenerationOptions(**options)
    except (TypeError, ValueError) as error:
        raise GenerationOptionsError(f"invalid generation options: {describe(error)}") from None


def describe(error: Exception) -> str:
    """A pydantic ValidationError as `key: problem; key: problem`."""
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return str(error)
    parts = []
    for item in errors():
        location = ".".join(str(part) for part in item.get("loc", ()) if not _is_type_tag(part))
        kind, message = item.get("type", ""), item.get("msg", "")
        if kind == "extra_forbidden":
            message = "unknown key"
        parts.append(f"{location or 'options'}: {message}")
    return "; ".join(dict.fromkeys(parts))


def _is_type_tag(part: Any) -> bool:
    """pydantic adds the union member tried (`bool`, `list[str]`) to a location."""
    return isinstance(part, str) and (part in ("bool", "str", "int", "float", "dict")
                                      or "[" in part)
