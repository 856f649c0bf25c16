"""MCP servers' tools as actions (config.yml `tool_use.mcp_servers`), through the official
`mcp` SDK's client over streamable HTTP.

Each tool becomes an action named `<prefix><tool name>` with the tool's description, its
`inputSchema` as the parameter schema and its annotations as the hints, so the metadata,
`validate` (set in `actions_metadata`) and permissions work as for any action. The tools are
listed when the rails are first used; each call opens a short session (an MCP server may be
stateless, and a turn never waits on a stale connection). A tool's `isError` result is an
action failure carrying the tool's text."""
from __future__ import annotations

import json
from typing import Any, Optional

from rails.errors import ActionError


class McpToolAction:
    """One MCP tool, callable as an action: `await run(**arguments)`."""

    def __init__(self, server: "McpServer", tool_name: str):
        self.server, self.tool_name = server, tool_name

    async def run(self, **arguments: Any) -> Any:
        return await self.server.call(self.tool_name, arguments)


class McpServer:
    def __init__(self, name: str, url: str, headers: Optional[dict] = None, prefix: str = "",
                 timeout: float = 30.0):
        self.name, self.url, self.headers = name, url, dict(headers or {})
        self.prefix, self.timeout = prefix, float(timeout)

    def _client(self) -> Any:
        try:
            from mcp import Client
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client
        except ImportError as error:
            raise ActionError(f"MCP server '{self.name}' needs the `mcp` package: pip install "
                              "'dialog-rails[mcp]'") from error
        http = create_mcp_http_client(headers=self.headers)
        return Client(streamable_http_client(self.url, http_client=http),
                      read_timeout_seconds=self.timeout)

    def _failure(self, what: str, error: BaseException) -> ActionError:
        detail = _root_cause(error)
        return ActionError(f"MCP server '{self.name}' at {self.url}: {what} failed: "
                           f"{type(detail).__name__}: {detail}")

    async def list_tools(self) -> list:
        try:
            async with self._client() as client:
                listed = await client.list_tools()
                tools = list(listed.tools)
                while listed.next_cursor:
                    listed = await client.list_tools(cursor=listed.next_cursor)
                    tools.extend(listed.tools)
                return tools
        except ActionError:
            raise
        except Exception as error:  # network, protocol: name the server and the cause
            raise self._failure("listing its tools", error) from error

    async def call(self, tool: str, arguments: dict) -> Any:
        try:
            async with self._client() as client:
                result = await client.call_tool(tool, arguments)
        except ActionError:
            raise
        except Exception as error:
            raise self._failure(f"calling `{tool}`", error) from error
        text = "\n".join(getattr(part, "text", "") for part in result.content or ()
                         if getattr(part, "type", None) == "text")
        if result.is_error:
            raise ActionError(f"MCP tool `{tool}` of '{self.name}' failed: {text}",
                              action_name=self.prefix + tool)
        if result.structured_content is not None:
            return result.structured_content
        return _maybe_json(text)

    async def register(self, dispatcher: Any) -> list[str]:
        """List the tools and register each as an action; returns the action names."""
        names = []
        for tool in await self.list_tools():
            name = self.prefix + tool.name
            hints = tool.annotations
            meta: dict[str, Any] = {
                "name": name, "description": tool.description or "",
                "parameters": _object_schema(tool.input_schema),
                "mcp_server": self.name, "runs_locally": True,
            }
            if tool.title:
                meta["title"] = tool.title
            if hints is not None:
                for key, attribute in (("read_only", "read_only_hint"),
                                       ("destructive", "destructive_hint"),
                                       ("idempotent", "idempotent_hint"),
                                       ("open_world", "open_world_hint")):
                    value = getattr(hints, attribute, None)
                    if value is not None:
                        meta[key] = bool(value)
            action = McpToolAction(self, tool.name)
            action.action_meta = meta
            dispatcher.register_action(action, name=name)
            names.append(name)
        return names


def _object_schema(schema: Any) -> dict:
    schema = dict(schema or {})
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    schema.setdefault("required", [])
    return schema


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _root_cause(error: BaseException) -> BaseException:
    """The first real exception inside exception groups (anyio task groups wrap them)."""
    while getattr(error, "exceptions", None):  # (BaseExceptionGroup is 3.11+)
        error = error.exceptions[0]
    return error


async def register_mcp_servers(dispatcher: Any, settings: list) -> list[str]:
    names: list[str] = []
    for server in settings:
        names += await McpServer(server.name, server.url, server.headers, server.prefix,
                                 server.timeout).register(dispatcher)
    return names
