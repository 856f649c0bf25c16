"""The actions server's Model Context Protocol endpoint: `/mcp`, streamable HTTP, through the
official `mcp` SDK (the `mcp` extra).

- `tools/list`: every non-system action the caller may run, with its name, description,
  `inputSchema` (the action's parameter schema) and `annotations` (read-only, destructive,
  idempotent, open-world hints, MCP's defaults where the action says nothing).
- `tools/call`: runs the action (similes resolve) with the same checks as
  `/v1/actions/run`; an unknown tool, bad arguments, a denial, a failure or a timeout is a
  result with `isError: true` whose text says why.

The same bearer token as the rest of the server guards it (401 before the SDK sees the
request), and the caller's identity comes from the same headers (`X-Org-Id`, `X-User-Id`,
`X-User-Roles`), so per-action `roles` / `organisations` / `callers` apply (caller `http`)."""
from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from typing import Any, Optional

log = logging.getLogger("rails.mcp")

MCP_PATH = "/mcp"


def mcp_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("mcp") is not None


def tools_for(dispatcher: Any, identity: Any) -> list:
    """The MCP `Tool`s `identity` may call."""
    import mcp.types as types

    tools = []
    for name in dispatcher.names():
        if dispatcher.is_system_action(name):
            continue  # system actions need the engine's injected parameters
        decision = dispatcher.decide(name, "http", identity)
        if decision is None or not decision.allowed:
            continue
        metadata = dispatcher.metadata(name)
        hints = metadata.annotations()
        tools.append(types.Tool(
            name=name, title=metadata.title, description=metadata.description or None,
            input_schema=dispatcher.parameters_schema(name),
            annotations=types.ToolAnnotations(
                title=metadata.title, read_only_hint=hints["readOnlyHint"],
                destructive_hint=hints["destructiveHint"],
                idempotent_hint=hints["idempotentHint"],
                open_world_hint=hints["openWorldHint"])))
    return tools


async def call_tool(dispatcher: Any, name: str, arguments: Optional[dict], identity: Any,
                    timeout: float) -> Any:
    """The MCP `CallToolResult` of running action `name`."""
    import mcp.types as types

    from rails.server.actions_server import parameter_problem

    def failed(message: str) -> Any:
        return types.CallToolResult(content=[types.TextContent(type="text", text=message)],
                                    is_error=True)

    resolved = dispatcher.resolve(name)
    if resolved is None or dispatcher.is_system_action(resolved):
        return failed(dispatcher.not_found_message(name, " on this server"))
    arguments = dict(arguments or {})
    problem = parameter_problem(resolved, dispatcher.spec(resolved), arguments)
    if problem:
        return failed(f"bad arguments for `{resolved}`: {problem}")
    try:
        outcome = await asyncio.wait_for(
            dispatcher.execute(resolved, arguments, caller="http", identity=identity), timeout)
    except asyncio.TimeoutError:
        return failed(f"action '{resolved}' did not finish within {timeout:g}s")
    except Exception as error:  # LLMCallError propagates out of execute
        log.error("action '%s' failed", resolved, exc_info=error)
        return failed(f"{type(error).__name__}: {error}")
    if not outcome.is_success:
        error = outcome.error
        log.warning("action '%s' failed over MCP: %r", resolved, error)
        return failed(f"{type(error).__name__}: {error}" if error is not None
                      else f"action '{resolved}' failed")
    value = outcome.return_value
    structured = value if isinstance(value, dict) else None
    try:
        text = value if isinstance(value, str) else json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = str(value)
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)],
                                structured_content=structured, is_error=False)


def declared_tool(action: Any) -> Any:
    """The MCP `Tool` of an organisation's declared action (rails.actions.declared)."""
    import mcp.types as types

    from rails.actions.metadata import normalize_metadata

    metadata = normalize_metadata(action.name, action.action_meta)
    hints = metadata.annotations()
    return types.Tool(name=action.name, description=metadata.description or None,
                      input_schema=metadata.parameters or {"type": "object", "properties": {}},
                      annotations=types.ToolAnnotations(
                          read_only_hint=hints["readOnlyHint"],
                          destructive_hint=hints["destructiveHint"],
                          idempotent_hint=hints["idempotentHint"],
                          open_world_hint=hints["openWorldHint"]))


async def call_declared(action: Any, arguments: dict, timeout: float,
                        identity: Any = None) -> Any:
    import mcp.types as types

    from rails.actions.declared.models import resolve_model
    from rails.policy.audit import enforce

    refused = enforce(action.decide("http", identity))
    if refused is not None:
        return types.CallToolResult(content=[types.TextContent(type="text", text=str(
            refused))], is_error=True)

    try:
        model = resolve_model(action.name, action.declaration.model, action.models)
        result = await asyncio.wait_for(action.complete(arguments, llm=model), timeout)
    except asyncio.TimeoutError:
        message, failed = f"action '{action.name}' did not finish within {timeout:g}s", True
    except Exception as error:  # a missing placeholder, the model failing: said, not raised
        message, failed = f"{type(error).__name__}: {error}", True
    else:
        value = result.value
        message = value if isinstance(value, str) else json.dumps(value, default=str)
        failed = False
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)],
                                is_error=failed)


def create_mcp_endpoint(dispatcher: Any, *, token: Optional[str], timeout: float,
                        declared: Any = None) -> tuple:
    """(ASGI app to mount at /mcp, an async context manager to run in the server lifespan).
    `declared` (a DeclaredActionRegistry): the caller's organisation (`X-Org-Id`) also sees
    and runs its declared actions, and no other organisation's."""
    from mcp.server.lowlevel import Server
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
    import mcp.types as types

    from rails.policy.identity import identity_from_headers

    def identity_of(ctx: Any) -> Any:
        request = getattr(ctx, "request", None)
        headers = getattr(request, "headers", None) or {}
        return identity_from_headers({key.lower(): value for key, value in headers.items()})

    async def on_list_tools(ctx: Any, params: Any) -> Any:
        identity = identity_of(ctx)
        tools = tools_for(dispatcher, identity)
        if declared is not None and identity.organisation:
            actions = await declared.list(identity.organisation)
            own = [declared_tool(action) for action in actions
                   if action.decide("http", identity).allowed]
            names = {action.name for action in actions}  # (its own action wins a call)
            tools = own + [tool for tool in tools if tool.name not in names]
        return types.ListToolsResult(tools=tools)

    async def on_call_tool(ctx: Any, params: Any) -> Any:
        identity = identity_of(ctx)
        if declared is not None and identity.organisation:
            action = await declared.get(identity.organisation, params.name)
            if action is not None:
                return await call_declared(action, dict(params.arguments or {}), timeout,
                                           identity)
        return await call_tool(dispatcher, params.name, params.arguments, identity,
                               timeout)

    server = Server("dialog-rails actions", on_list_tools=on_list_tools,
                    on_call_tool=on_call_tool)
    manager = StreamableHTTPSessionManager(app=server, stateless=True, json_response=True)
    expected = f"Bearer {token}".encode() if token else None

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and expected is not None:
            given = dict(scope.get("headers") or ()).get(b"authorization", b"")
            if not hmac.compare_digest(given, expected):
                body = json.dumps({"status": "failed", "error": {
                    "type": "Unauthorized", "message": "missing or wrong bearer token"}}).encode()
                await send({"type": "http.response.start", "status": 401, "headers": [
                    (b"content-type", b"application/json"), (b"www-authenticate", b"Bearer"),
                    (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await manager.handle_request(scope, receive, send)

    @contextlib.asynccontextmanager
    async def running():
        async with manager.run():
            yield

    return _AsgiEndpoint(guarded), running


class _AsgiEndpoint:
    """An ASGI app Starlette's Route mounts as it is (a plain function would be taken for a
    request handler)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


class LazyMcpEndpoint:
    """/mcp without slowing the server's start: the SDK (about a second of imports) loads in
    a worker thread once the server runs, and its session manager runs in a task of the
    server's lifespan; a request arriving before that waits for it."""

    def __init__(self, dispatcher: Any, *, token: Optional[str], timeout: float,
                 declared: Any = None):
        self._build = lambda: create_mcp_endpoint(dispatcher, token=token, timeout=timeout,
                                                  declared=declared)
        self._endpoint: Any = None
        self._ready: Any = None
        self._failure: Optional[BaseException] = None

    @contextlib.asynccontextmanager
    async def running(self):
        self._ready = asyncio.Event()
        stop = asyncio.Event()

        async def serve() -> None:
            try:
                endpoint, run = await asyncio.to_thread(self._build)
                async with run():
                    self._endpoint = endpoint
                    self._ready.set()
                    await stop.wait()
            except Exception as error:  # the rest of the server keeps working
                log.error("the MCP endpoint could not start", exc_info=error)
                self._failure = error
                self._ready.set()

        task = asyncio.create_task(serve())
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(task, return_exceptions=True)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._ready is not None:
            await self._ready.wait()
        if self._endpoint is None:
            reason = self._failure or RuntimeError("the server is not running")
            body = json.dumps({"status": "failed", "error": {
                "type": "McpUnavailable", "message": f"MCP is unavailable: "
                f"{type(reason).__name__}: {reason}"}}).encode()
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self._endpoint(scope, receive, send)
