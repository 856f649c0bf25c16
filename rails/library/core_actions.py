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


@action(is_system_action=True)
async def tool_rail_flows(kind: str, tool_calls: Any = None, tool_name: Optional[str] = None,
                          config: Any = None) -> list:
    """The tool rails to run (`kind`: tool_output or tool_input): the section's `flows`, then
    the `per_tool` flows of the tools the calls name (or of `tool_name`), each once."""
    section = getattr(config.rails, kind)
    names = [tool_name] if tool_name else [call.get("name") or (call.get("function") or {}).get(
        "name") for call in tool_calls or () if isinstance(call, dict)]
    flows = list(section.flows)
    for name in names:
        for flow in section.per_tool.get(name) or ():
            if flow not in flows:
                flows.append(flow)
    return flows


@action(is_system_action=True)
async def checked_tool_result(tool_messages: Any = None, index: int = 0,
                              content: Any = None) -> list:
    """The tool results with result `index` as the tool input rails left it (flow `process
    user tool messages`); passthrough mode sends the model that text."""
    results = [dict(result) for result in tool_messages or ()]
    if 0 <= index < len(results) and isinstance(content, str):
        results[index]["content"] = content
    return results
