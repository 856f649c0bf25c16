"""Actions the core flows rely on."""
from __future__ import annotations

from typing import Any, Optional

from rails.actions import ActionResult, action
from rails.events import new_event_dict


@action(is_system_action=True)
async def create_event(event: dict, context: Optional[dict] = None) -> ActionResult:
    """Emit the event described by `event` (`_type` plus fields); `$name` values are read from
    the context (None when unset)."""
    return ActionResult(events=[build_event(event, context or {})])


def build_event(spec: dict, context: dict) -> dict:
    """The event of a `create event` step (the runtime calls this directly when `create_event`
    is not overridden: it runs several times per turn)."""
    fields: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "_type":
            continue
        if isinstance(value, str) and value.startswith("$"):
            value = context.get(value[1:])
        fields[key] = value
    return new_event_dict(spec["_type"], **fields)


@action(is_system_action=True)
async def tool_calls_as_text(tool_calls: Any = None, text: Optional[str] = None) -> str:
    """The model's tool calls as text (`name({arguments})` lines after its text), for output
    rails that check `$bot_message` (flow `process bot tool call`)."""
    from rails.tool_shapes import tool_calls_text

    return tool_calls_text(tool_calls or [], text or "")
