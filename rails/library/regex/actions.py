"""Actions of the regex rails (`rails.config.regex_detection`); patterns are compiled when the
config loads."""
from __future__ import annotations

import json
import logging
from typing import Any, Optional

from rails.actions import action

log = logging.getLogger(__name__)
SOURCES = ("input", "output", "retrieval", "tool_input", "tool_output")


def _matches(config: Any, source: str, text: Any) -> list[str]:
    settings = config.rails.config.regex_detection
    if settings is None or not text:
        return []
    return getattr(settings, source).matching(text if isinstance(text, str) else str(text))


@action(is_system_action=True)
async def detect_regex_pattern(source: str, text: Optional[str], config: Any) -> dict:
    """{"is_match", "text", "detections"}: which patterns of `source` match `text`."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    detections = _matches(config, source, text)
    if detections:
        log.info("regex rail (%s) matched: %s", source, ", ".join(detections))
    return {"is_match": bool(detections), "text": text, "detections": detections}


@action(is_system_action=True)
async def regex_check_tool_call(config: Any, context: Optional[dict] = None) -> bool:
    """A tool rail: False (blocked) when the tool's name or arguments match a pattern of
    `regex_detection.tool_input`."""
    context = context or {}
    text = json.dumps({"name": context.get("tool_name"),
                       "arguments": context.get("tool_arguments")}, default=str)
    return not _matches(config, "tool_input", text)


@action(is_system_action=True)
async def regex_check_tool_result(config: Any, context: Optional[dict] = None) -> bool:
    """A tool rail: False (withheld) when the tool's result matches a pattern of
    `regex_detection.tool_output`."""
    result = (context or {}).get("tool_result")
    text = result if isinstance(result, str) else json.dumps(result, default=str)
    return not _matches(config, "tool_output", text)
