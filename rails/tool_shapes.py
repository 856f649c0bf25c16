"""Tool calls of the main model in OpenAI's form, for passthrough mode: the caller offers
tools (`tools`, `tool_choice`, `parallel_tool_calls`), the model answers with calls, the
caller runs them and sends the results back as `tool` messages.

Everything here speaks OpenAI's shapes: a tool is `{"type": "function", "function": {"name",
"description", "parameters"}}`, a call is `{"id", "type": "function", "function": {"name",
"arguments": "<JSON text>"}}`. LangChain's shapes (`{"name", "args", "id"}`) and NeMo's
internal one (arguments as an object) are accepted and turned into OpenAI's."""
from __future__ import annotations

import json
import re
from typing import Any, Optional

TOOL_PARAMS = ("tools", "tool_choice", "parallel_tool_calls")
_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
_CHOICE_WORDS = ("none", "auto", "required")


def split_tool_params(params: Optional[dict]) -> tuple[dict, dict]:
    """(the tool settings of `params`, the other settings)."""
    tools, rest = {}, {}
    for key, value in (params or {}).items():
        (tools if key in TOOL_PARAMS else rest)[key] = value
    return tools, rest


# -- checking what callers send --------------------------------------------------------------

def check_tools(tools: Any, where: str = "tools") -> list[dict]:
    """The tools as given, or ValueError naming the first bad one (`where[i].function.name`)."""
    if not isinstance(tools, list):
        raise ValueError(f"`{where}` must be an array of function tools "
                         "({\"type\": \"function\", \"function\": {\"name\", ...}})")
    names = set()
    for index, tool in enumerate(tools):
        at = f"{where}[{index}]"
        if not isinstance(tool, dict):
            raise ValueError(f"`{at}` must be an object")
        if tool.get("type", "function") != "function":
            raise ValueError(f"`{at}.type` is {tool.get('type')!r}; only \"function\" tools "
                             "are supported")
        function = tool.get("function")
        if not isinstance(function, dict):
            raise ValueError(f"`{at}.function` must be an object with a `name`")
        name = function.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"`{at}.function.name` must be 1 to 128 letters, digits, `_`, `.` "
                             f"or `-`, not {name!r}")
        if name in names:
            raise ValueError(f"`{at}.function.name`: {name!r} is offered twice")
        names.add(name)
        description = function.get("description")
        if description is not None and not isinstance(description, str):
            raise ValueError(f"`{at}.function.description` must be a string")
        parameters = function.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise ValueError(f"`{at}.function.parameters` must be a JSON schema object")
    return tools


def check_tool_choice(choice: Any, tool_names: Optional[set] = None,
                      where: str = "tool_choice") -> Any:
    if isinstance(choice, str):
        if choice not in _CHOICE_WORDS:
            raise ValueError(f"`{where}` must be one of {', '.join(_CHOICE_WORDS)} or "
                             "{\"type\": \"function\", \"function\": {\"name\"}}, not "
                             f"{choice!r}")
        return choice
    if not isinstance(choice, dict) or choice.get("type") != "function" or not isinstance(
            choice.get("function"), dict) or not isinstance(choice["function"].get("name"), str):
        raise ValueError(f"`{where}` must be one of {', '.join(_CHOICE_WORDS)} or "
                         "{\"type\": \"function\", \"function\": {\"name\": ...}}")
    name = choice["function"]["name"]
    if tool_names is not None and name not in tool_names:
        raise ValueError(f"`{where}.function.name` names {name!r}, which is not among the "
                         f"offered tools ({', '.join(sorted(tool_names)) or 'none'})")
    return choice


def check_tool_call(call: Any, where: str) -> None:
    """One call of an assistant message in a history (OpenAI's form; arguments may also be
    an object, as NeMo's Python API gives them)."""
    if not isinstance(call, dict):
        raise ValueError(f"`{where}` must be an object {{id, type, function}}")
    if not isinstance(call.get("id"), str) or not call["id"]:
        raise ValueError(f"`{where}.id` must be a non-empty string")
    if call.get("type", "function") != "function":
        raise ValueError(f"`{where}.type` must be \"function\", not {call.get('type')!r}")
    function = call.get("function")
    if not isinstance(function, dict):
        raise ValueError(f"`{where}.function` must be an object {{name, arguments}}")
    if not isinstance(function.get("name"), str) or not function["name"]:
        raise ValueError(f"`{where}.function.name` must be a non-empty string")
    arguments = function.get("arguments")
    if not isinstance(arguments, (str, dict)):
        raise ValueError(f"`{where}.function.arguments` must be a JSON string")


# -- OpenAI's form ------------------------------------------------------------------------------

def new_call_id() -> str:
    import secrets

    return "call_" + secrets.token_hex(12)


def openai_tool_call(call_id: Optional[str], name: str, arguments: Any) -> dict:
    if not isinstance(arguments, str):
        arguments = json.dumps({} if arguments is None else arguments, ensure_ascii=False)
    return {"id": call_id or new_call_id(), "type": "function",
            "function": {"name": name, "arguments": arguments}}


def normalize_tool_calls(calls: Any) -> list[dict]:
    """OpenAI's form of `calls` (OpenAI's, LangChain's or NeMo's shape), without extra keys."""
    normalized = []
    for call in calls or ():
        if not isinstance(call, dict):
            continue
        function = call.get("function")
        if isinstance(function, dict):
            name, arguments = function.get("name") or "", function.get("arguments")
        else:
            name, arguments = call.get("name") or "", call.get("args", call.get("arguments"))
        normalized.append(openai_tool_call(call.get("id"), str(name), arguments))
    return normalized


def rail_view(calls: list[dict]) -> list[dict]:
    """The calls as rails see them (`$tool_calls`): OpenAI's form plus `name` and `args`
    (the arguments parsed, `{}` when they are not a JSON object), so a flow can write
    `$tool_calls[0].args.city`."""
    view = []
    for call in calls:
        function = call["function"]
        try:
            args = json.loads(function["arguments"] or "{}")
        except ValueError:
            args = {}
        view.append({**call, "function": dict(function), "name": function["name"],
                     "args": args if isinstance(args, dict) else {}})
    return view


def tool_calls_text(calls: list[dict], text: str = "") -> str:
    """The calls as one text (for output rails that read `$bot_message`, and logs)."""
    lines = [text] if text else []
    for call in normalize_tool_calls(calls):
        lines.append(f"{call['function']['name']}({call['function']['arguments']})")
    return "\n".join(lines)


class ToolCallDeltas:
    """Assembles the `delta.tool_calls` pieces of a streamed answer (OpenAI's chunks: the
    first piece of a call has its index, id and name; later ones add argument text)."""

    def __init__(self) -> None:
        self._calls: dict[int, dict] = {}

    def add(self, deltas: Any) -> None:
        for position, delta in enumerate(deltas or ()):
            if not isinstance(delta, dict):
                continue
            index = delta.get("index", position)
            call = self._calls.setdefault(index, {"id": None, "name": "", "arguments": ""})
            if delta.get("id"):
                call["id"] = delta["id"]
            function = delta.get("function") or {}
            if function.get("name"):
                call["name"] += function["name"]
            if function.get("arguments"):
                call["arguments"] += function["arguments"]

    def calls(self) -> Optional[list[dict]]:
        if not self._calls:
            return None
        return [openai_tool_call(call["id"], call["name"], call["arguments"])
                for _, call in sorted(self._calls.items())]
