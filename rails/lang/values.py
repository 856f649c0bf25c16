"""Values in parameter blocks and message bodies."""
from __future__ import annotations

import ast
import re
from typing import Any

_USER_PARAM = re.compile(r"\$([^ \"'!?\-,;</]*(?:\w|\]))")
_LINK = re.compile(r"\[(.*?)\]\((.*?)\)")


def user_example(text: str) -> str:
    """A user example as NeMo stores it: `$name` and `[text](name)` become `{name}`."""
    if "$" in text:
        text = _USER_PARAM.sub(_braced_param, text)
    if "](" in text:
        text = _LINK.sub(_braced_link, text)
    return text


def _braced_param(match: re.Match) -> str:
    return "{" + match.group(1) + "}"


def _braced_link(match: re.Match) -> str:
    return "{" + match.group(2) + "}"


def looks_like_yaml(text: str) -> bool:
    return text.endswith(":") or ":" in text


def param_value(text: str) -> Any:
    """A parameter value: `$ref` stays a string; otherwise a Python/YAML-ish literal."""
    if text.startswith("$"):
        return text
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null", "~"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError(f"cannot read the value {text!r}") from None


def yaml_scalar(text: str | None) -> Any:
    """YAML-like reading of a `meta` block value (bare words are strings)."""
    if text is None:
        return None
    try:
        return param_value(text)
    except ValueError:
        return text
