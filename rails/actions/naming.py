"""Action names: the lookup normalization of the reference and "did you mean" suggestions."""
from __future__ import annotations

import difflib
import re
from typing import Iterable, Mapping, Optional

_BEFORE_CAPITALIZED_WORD = re.compile(r"(.)([A-Z][a-z]+)")
_LOWER_BEFORE_UPPER = re.compile(r"([a-z0-9])([A-Z])")


def camel_to_snake(name: str) -> str:
    """`FetchWeather` -> `fetch_weather`, `HTTPRequest` -> `http_request`."""
    name = _BEFORE_CAPITALIZED_WORD.sub(r"\1_\2", name)
    return _LOWER_BEFORE_UPPER.sub(r"\1_\2", name).lower()


def normalize_action_name(name: str) -> str:
    """The name an unregistered action name is looked up under: every `Action` substring is
    dropped from names ending in `Action`, then CamelCase becomes snake_case
    (`FetchWeatherAction` -> `fetch_weather`)."""
    if name.endswith("Action"):
        name = name.replace("Action", "")
    return camel_to_snake(name)


def closest_names(name: str, names: Iterable[str], limit: int = 3) -> list[str]:
    """Registered names that look like `name`, best first."""
    names = list(names)
    found = difflib.get_close_matches(name, names, n=limit, cutoff=0.6)
    normalized = normalize_action_name(name)
    if normalized != name:
        for extra in difflib.get_close_matches(normalized, names, n=limit, cutoff=0.6):
            if extra not in found:
                found.append(extra)
    return found[:limit]


def not_found_message(name: str, names: Iterable[str], where: str = "",
                      undecorated: Optional[Mapping[str, str]] = None) -> str:
    """`undecorated`: functions of action files that lack `@action`, by name, with their file."""
    text = f"Action '{name}' not found{where}."
    undecorated = undecorated or {}
    plain = name if name in undecorated else normalize_action_name(name)
    if plain in undecorated:
        return (f"{text} {undecorated[plain]} defines `{plain}` without the @action decorator, "
                "so it is not registered; add `@action()` (from rails.actions import action) "
                "above it")
    close = closest_names(name, names)
    if close:
        text += " Closest registered: " + ", ".join(close)
    return text
