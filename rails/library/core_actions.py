"""Actions the core flows rely on."""
from __future__ import annotations

from typing import Any, Optional

from rails.actions import ActionResult, action
from rails.events import new_event_dict


@action(is_system_action=True)
async def create_event(event: dict, context: Optional[dict] = None) -> ActionResult:
    """Emit the event described by `event` (`_type` plus fields); `$name` values are read from
    the context (None when unset)."""
    context = context or {}
    fields: dict[str, Any] = {}
    for key, value in event.items():
        if key == "_type":
            continue
        if isinstance(value, str) and value.startswith("$"):
            value = context.get(value[1:])
        fields[key] = value
    return ActionResult(events=[new_event_dict(event["_type"], **fields)])
