"""Unknown keys inside well-known sections. Under `rails:` they are errors, like unknown
top-level keys: NeMo drops them silently, so a typo there (`rails: {inptu: ...}`) leaves a rail
off without a word. Elsewhere (`models[0]`, `prompts[0]`, ...) they stay warnings, because
newer NeMo releases keep adding keys there; keys known from those releases
(`later_nemo_keys`) are accepted quietly everywhere."""
from __future__ import annotations

import logging
from typing import Any, Optional

from rails.config.problems import suggestion
from rails.config.schema import Section
from rails.errors import ConfigError

log = logging.getLogger(__name__)

_STRICT_ROOT = "rails"


def warn_unknown_keys(model: Section, file: Optional[str], path: str = "") -> None:
    """Warn about unknown keys outside `rails:`; raise one ConfigError naming every unknown
    key under it."""
    errors: list[tuple[str, str]] = []
    _check(model, file, path, errors)
    if errors:
        key, message = errors[0]
        for other_key, other_message in errors[1:]:
            message += f"\n  {other_key}: {other_message}"
        raise ConfigError(message, file=file, key=key)


def _check(model: Section, file: Optional[str], path: str,
           errors: list[tuple[str, str]]) -> None:
    if model.checked_keys:
        known = set(type(model).model_fields)
        strict = path == _STRICT_ROOT or path.startswith(_STRICT_ROOT + ".")
        for key in model.model_extra or {}:
            if key in model.later_nemo_keys:
                continue
            where = f"{path}.{key}" if path else key
            if strict:
                errors.append((where, "unknown key" + suggestion(key, known)))
            else:
                log.warning("%s: %s: unknown key, ignored%s", file or "<config>", where,
                            suggestion(key, known))
    for name in type(model).model_fields:
        _visit(getattr(model, name), file, f"{path}.{name}" if path else name, errors)


def _visit(value: Any, file: Optional[str], path: str, errors: list[tuple[str, str]]) -> None:
    if isinstance(value, Section):
        _check(value, file, path, errors)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            if isinstance(item, Section):
                _check(item, file, f"{path}[{position}]", errors)
