"""dialog-rails extension `tool_use:` of config.yml: the model choosing actions
(rails/actions/choice) and the MCP servers whose tools become actions.

    tool_use:
      mode: fallback        # off (default) | fallback: the model chooses when no flow
                            # handles the user's intent, and answers every turn in general mode
      actions: [GET_WEATHER, DRAW]   # what may be offered (default: every non-system action)
      max_steps: 4          # model calls per choice, the last one offers no tools
      action_timeout: 30    # seconds one chosen action may run
      native: null          # null: native tool calls when the model has them; false: prompt
      rails:
        call: [check_tool_call]      # actions that see each call (tool_name, tool_arguments)
        result: [check_tool_result]  # actions that see each result (tool_name, tool_result)
      passthrough:          # passthrough mode (`passthrough: true`): tools the caller runs
        tools: [{type: function, function: {name: get_weather, parameters: {...}}}]
        tool_choice: auto   # optional, as OpenAI's; a request's own value wins
      mcp_servers:
        - name: files
          url: http://127.0.0.1:9000/mcp
          headers: {Authorization: "Bearer ..."}
          prefix: ""          # put before each tool's name
"""
from __future__ import annotations

from typing import Any, Optional

from rails.config.schema import StrictSection, field

MODES = ("off", "fallback")


def _mode(value: Any) -> str:
    text = "off" if value is False or value is None else str(value).strip().lower()
    if text not in MODES:
        raise ValueError(f"unknown mode {value!r}; use one of {', '.join(MODES)}")
    return text


class ToolRails(StrictSection):
    call: list[str] = field(default_factory=list)
    result: list[str] = field(default_factory=list)


class McpServerConfig(StrictSection):
    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    prefix: str = ""
    timeout: float = field(default=30.0, gt=0)


def _tools(value: Any) -> list:
    from rails.tool_shapes import check_tools

    return check_tools(value or [], "tool_use.passthrough.tools")


class PassthroughTools(StrictSection):
    """Tools offered to the main model on every passthrough turn, besides a request's own
    (same name: the request's wins); their calls go back to the caller (docs/tool-calls.md)."""

    tools: list[dict] = field(default_factory=list, before=_tools)
    tool_choice: Any = None
    parallel_tool_calls: Optional[bool] = None

    def _check(self) -> None:
        if self.tool_choice is not None:
            from rails.tool_shapes import check_tool_choice

            check_tool_choice(self.tool_choice, None, "tool_use.passthrough.tool_choice")


class ToolUseConfig(StrictSection):
    mode: str = field(default="off", before=_mode)
    actions: Optional[list[str]] = None
    max_steps: int = field(default=4, ge=1, le=50)
    action_timeout: float = field(default=30.0, gt=0)
    native: Optional[bool] = None
    rails: ToolRails = field(default_factory=ToolRails)
    mcp_servers: list[McpServerConfig] = field(default_factory=list)
    passthrough: PassthroughTools = field(default_factory=PassthroughTools)
