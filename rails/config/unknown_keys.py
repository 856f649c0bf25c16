"""Warnings for unknown keys inside well-known sections (`rails.inputs`, `rails.input.flow`):
NeMo ignores them silently, so a typo there simply does nothing. They stay warnings, not
errors, because newer NeMo releases keep adding keys."""
from __future__ import annotations

import logging
from typing import Any, Optional

from rails.config.problems import suggestion
from rails.config.schema import Section

log = logging.getLogger(__name__)


def warn_unknown_keys(model: Section, file: Optional[str], path: str = "") -> None:
    if model.checked_keys:
        known = set(type(model).model_fields)
        for key in model.model_extra or {}:
            if key not in model.later_nemo_keys:
                log.warning("%s: %s: unknown key, ignored%s", file or "<config>",
                            f"{path}.{key}" if path else key, suggestion(key, known))
    for name in type(model).model_fields:
        _visit(getattr(model, name), file, f"{path}.{name}" if path else name)


def _visit(value: Any, file: Optional[str], path: str) -> None:
    if isinstance(value, Section):
        warn_unknown_keys(value, file, path)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            if isinstance(item, Section):
                warn_unknown_keys(item, file, f"{path}[{position}]")
