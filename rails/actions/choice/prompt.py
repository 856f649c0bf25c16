"""The prompt form of the offer, for models without native tool calling: the actions with
their descriptions, parameters and examples, the conversation so far, and a JSON reply
format carrying a private `thought`."""
from __future__ import annotations

import json
from typing import Any, Optional

from rails.actions.metadata import example_lines

REPLY_FORMAT = ('{"thought": "<your private reasoning; the user never sees it>", '
                '"actions": [{"name": "<action name>", "arguments": {<argument>: <value>}}], '
                '"text": "<what to tell the user>"}')


def render_prompt(instructions: str, offers: list, conversation: list[dict],
                  final: bool) -> str:
    parts = [instructions.strip()] if instructions and instructions.strip() else []
    if offers and not final:
        lines = ["You can run these actions for the user:"]
        for offer in offers:
            lines.append(f"- {offer.tool_name}: {offer.description}")
            params = _parameter_lines(offer.parameters)
            if params:
                lines.append("  arguments: " + params)
            examples = example_lines(offer.metadata)
            if examples:
                lines.append("  example:")
                lines.extend(f"    {line}" if line else "" for line in examples)
        parts.append("\n".join(lines))
    parts.append("Conversation so far:\n" + render_conversation(conversation))
    if final or not offers:
        parts.append("No action can run now. Answer the user with what you know, as JSON: "
                     + REPLY_FORMAT + ' with "actions": [].')
    else:
        parts.append("Decide what to do next. Reply with exactly one JSON object:\n"
                     + REPLY_FORMAT + "\nList the actions to run now in \"actions\" (their "
                     "results come back to you before you answer), or leave it empty and put "
                     "your answer to the user in \"text\".")
    return "\n\n".join(parts)


def _parameter_lines(schema: dict) -> str:
    properties = (schema or {}).get("properties") or {}
    required = set((schema or {}).get("required") or ())
    items = []
    for name, spec in properties.items():
        kind = spec.get("type", "any") if isinstance(spec, dict) else "any"
        note = "required" if name in required else "optional"
        description = spec.get("description") if isinstance(spec, dict) else None
        items.append(f"{name} ({kind}, {note}{': ' + description if description else ''})")
    return "; ".join(items)


def render_conversation(conversation: list[dict]) -> str:
    lines = []
    for message in conversation:
        role = message.get("role")
        if role == "tool":
            lines.append(f"[result of {message.get('name')}: {message.get('content')}]")
        elif role == "assistant" and message.get("tool_calls"):
            for call in message["tool_calls"]:
                function = call.get("function") or {}
                lines.append(f"[you ran {function.get('name')} with "
                             f"{function.get('arguments') or '{}'}]")
        elif role in ("user", "assistant"):
            lines.append(f"{role}: {message.get('content') or ''}")
    return "\n".join(lines)


def parse_reply(text: str) -> tuple[Optional[str], list[dict], str]:
    """(thought, calls [{"name", "arguments"}], text) from the model's reply. A reply that is
    not the JSON asked for is taken as a plain answer."""
    data = _json_object(text)
    if data is None:
        return None, [], text.strip()
    thought = data.get("thought")
    calls = []
    raw_actions = data.get("actions")
    if raw_actions is None and data.get("action"):  # ElizaOS' legacy single action
        raw_actions = [data["action"]]
    for item in raw_actions or ():
        if isinstance(item, str):
            calls.append({"name": item, "arguments": {}})
        elif isinstance(item, dict):
            calls.append({"name": str(item.get("name", "")),
                          "arguments": item.get("arguments", item.get("args", {}))})
    answer = data.get("text", data.get("message", ""))
    return (str(thought) if thought is not None else None), calls, \
        answer if isinstance(answer, str) else json.dumps(answer)


def _json_object(text: str) -> Optional[dict]:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start:end + 1])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def tool_call_dict(call_id: str, name: str, arguments: Any) -> dict:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, default=str)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}
