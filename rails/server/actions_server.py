"""The actions server: runs actions over HTTP for engines configured with `actions_server_url`.

Endpoints:
- `POST /v1/actions/run` `{"action_name", "action_parameters"}` -> `{"status": "success",
  "result": <any JSON>}` (wire format: `rails.actions.wire`), or `{"status": "failed",
  "error": {"type", "message"}}` with 400 (bad request), 401 (token), 403 (the action's
  permissions refuse the caller `http` or this user: `"type": "PermissionDenied"`, and
  `action`, `caller`, `rule` in the error object), 404 (unknown action), 408 (body not sent
  in time), 413 (body too large), 422 (parameters that do not fit the action's signature),
  500 (the action raised; its traceback stays in the server log) or 504 (the action ran
  longer than the timeout).
- `GET /v1/actions/list`: every action with name, is_system_action, description and a JSON
  schema of its parameters.
- `GET /health`.

With a token, `run` and `list` require `Authorization: Bearer <token>` (the CLI always sets one
unless told `--no-auth`). Behind the token, the `X-User-Id`, `X-User-Roles` (comma separated)
and `X-Org-Id` headers say who the user is; every run is checked by `rails.policy` as the
caller `http` for that user, and a denial is logged (`rails.policy`). Async actions run on
the event loop, synchronous ones in a thread pool; a synchronous action that times out keeps
running in its thread (Python cannot stop it), only the request ends."""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
from pathlib import Path
from typing import Any, Iterable, Optional

from rails.actions import ActionDispatcher
from rails.actions.schema import describe_action
from rails.actions.wire import HEALTH_PATH, LIST_PATH, RUN_PATH, encode_result
from rails.errors import ActionNotFoundError
from rails.policy.identity import Identity, identity_from_headers
from rails.server.idempotency import IdempotentReplies, key_problem

log = logging.getLogger("rails.actions_server")

DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_TIMEOUT = 30.0
DEFAULT_THREADS = 32


class _Refusal(Exception):
    def __init__(self, status: int, kind: str, message: str):
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message
        self.extra: dict = {}  # more keys of the error object (field, step, ...)


def _denied(error: Any) -> _Refusal:
    """The 403 of a PermissionDenied: which action, caller and rule refused."""
    refusal = _Refusal(403, "PermissionDenied", str(error))
    decision = getattr(error, "decision", None)
    refusal.extra = {"action": decision.action, "caller": decision.caller,
                     "rule": decision.rule} if decision is not None else {
                         "action": error.action_name}
    return refusal


def request_identity(request: Any) -> Identity:
    """Who a request to the actions server runs as (the identity headers, behind the
    token)."""
    return identity_from_headers(request.headers)


def build_dispatcher(config_paths: Iterable[str] = (), modules: Iterable[str] = (),
                     include_cwd: bool = False) -> ActionDispatcher:
    """The server's registry: the actions of each config folder (`actions.py`, `actions/`) and
    of each importable module; synchronous actions run in worker threads."""
    dispatcher = ActionDispatcher(load_all_actions=True, core_modules=list(modules),
                                  include_cwd=include_cwd, sync_in_thread=True)
    dispatcher.threads = None  # sync actions go to the app's pool of `threads` (create_app)
    for path in config_paths:
        folder = Path(path)
        if not folder.is_dir():
            raise FileNotFoundError(f"config folder not found: {path}")
        dispatcher.load_actions_from_path(folder)
    return dispatcher


def create_app(dispatcher: ActionDispatcher, *, token: Optional[str] = None,
               max_body: int = DEFAULT_MAX_BODY, timeout: float = DEFAULT_TIMEOUT,
               threads: int = DEFAULT_THREADS, declared: Any = None) -> Any:
    """A Starlette application serving `dispatcher`'s actions; synchronous actions run in a
    pool of `threads` worker threads. `declared` (a DeclaredActionRegistry) adds the routes
    of organisations' declared actions (`rails.server.declared_actions`)."""
    import contextlib
    from concurrent.futures import ThreadPoolExecutor

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    expected = f"Bearer {token}".encode() if token else None

    def failure(refusal: _Refusal) -> Response:
        headers = {"www-authenticate": "Bearer"} if refusal.status == 401 else None
        return JSONResponse({"status": "failed", "error": {"type": refusal.kind,
                                                            "message": refusal.message,
                                                            **refusal.extra}},
                            status_code=refusal.status, headers=headers)

    def authorize(request: Any) -> None:
        if expected is None:
            return
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            raise _Refusal(401, "Unauthorized", "missing or wrong bearer token")

    replies = IdempotentReplies()

    async def run(request: Any) -> Response:
        if organisations is not None and "x-org-id" in request.headers:
            return await organisations.run(request)
        try:
            authorize(request)
            key = request.headers.get("idempotency-key")
            problem = key_problem(key)
            if problem:
                raise _Refusal(400, "InvalidIdempotencyKey", problem)
            body = await _read_body(request, max_body)
        except _Refusal as refusal:
            return failure(refusal)

        identity = request_identity(request)

        async def work() -> tuple[int, bytes]:
            try:
                name, params = _parse_run_request(body)
                content = await _run_action(dispatcher, name, params, timeout, identity)
            except _Refusal as refusal:
                response = failure(refusal)
                return response.status_code, bytes(response.body)
            return 200, content.encode()

        if key is None:
            status, content = await work()
        else:
            try:
                (status, content), replayed = await replies.run(key, body, work)
            except ValueError as error:
                return failure(_Refusal(422, "IdempotencyKeyReused", str(error)))
        return Response(content, status_code=status, media_type="application/json")

    async def list_actions(request: Any) -> Response:
        try:
            authorize(request)
        except _Refusal as refusal:
            return failure(refusal)
        described = []
        for name in dispatcher.names():
            described.append(describe_action(name, dispatcher.get(name), dispatcher.meta(name),
                                             dispatcher.spec(name), dispatcher.metadata(name)))
        return JSONResponse(described)

    async def health(request: Any) -> Response:
        return JSONResponse({"status": "ok", "actions": len(dispatcher.names())})

    organisations = None
    if declared is not None:
        from rails.server.declared_actions import DeclaredActionsAPI

        organisations = DeclaredActionsAPI(declared, dispatcher, authorize=authorize,
                                           failure=failure, max_body=max_body,
                                           timeout=timeout)

    from rails.server.mcp import MCP_PATH, LazyMcpEndpoint, mcp_available

    mcp_endpoint = (LazyMcpEndpoint(dispatcher, token=token, timeout=timeout, declared=declared)
                    if mcp_available() else None)
    mcp_running = mcp_endpoint.running if mcp_endpoint is not None else contextlib.nullcontext

    @contextlib.asynccontextmanager
    async def lifespan(app: Any):
        # Most synchronous actions wait on I/O: the default pool (CPUs + 4) is too small.
        pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="action")
        asyncio.get_running_loop().set_default_executor(pool)
        try:
            async with mcp_running():
                yield
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            if declared is not None:
                await declared.store.close()

    routes = [
        Route(RUN_PATH, run, methods=["POST"]),
        Route(LIST_PATH, list_actions, methods=["GET"]),
        Route(HEALTH_PATH, health, methods=["GET"]),
        *(organisations.routes() if organisations is not None else ()),
    ]
    if mcp_endpoint is not None:  # the `mcp` extra: actions as MCP tools (rails/server/mcp.py)
        routes.append(Route(MCP_PATH, mcp_endpoint, methods=["GET", "POST", "DELETE"]))
    return Starlette(lifespan=lifespan, routes=routes)


async def _run_action(dispatcher: ActionDispatcher, name: str, params: dict,
                      timeout: float, identity: Optional[Identity] = None) -> str:
    """The success body for running `name` as `identity`, or a `_Refusal` saying why there
    is none."""
    if not dispatcher.has(name):
        raise _Refusal(404, "ActionNotFound",
                       dispatcher.not_found_message(name, " on this server"))
    refused = dispatcher.check_permission(name, "http", identity)
    if refused is not None:  # before the parameters: a refused caller learns no signature
        raise _denied(refused)
    from rails.interaction.remote_run import remote_run

    spec = dispatcher.spec(name)
    with remote_run(name, params) as interactive:
        # The interactive parameters an Action Function names are supplied here.
        supplied = {key: None for key in interactive.injected
                    if spec is not None and key in spec.params}
        problem = parameter_problem(name, spec, {**supplied, **params})
        if problem:
            raise _Refusal(422, "InvalidParameters", problem)
        try:
            outcome = await asyncio.wait_for(
                dispatcher.execute(name, params, injected=interactive.injected), timeout)
            raised = outcome.error
        except asyncio.TimeoutError:
            log.error("action '%s' timed out after %gs", name, timeout)
            raise _Refusal(504, "ActionTimeout",
                           f"action '{name}' did not finish within {timeout:g}s") from None
        except Exception as error:  # LLMCallError propagates out of execute
            outcome, raised = None, error
        ui_events = interactive.ui_events()
    if outcome is None or not outcome.is_success:
        if isinstance(raised, ActionNotFoundError):
            raise _Refusal(404, "ActionNotFound", str(raised))
        # The traceback stays here, in the server's log; the client gets type and message.
        log.error("action '%s' failed", name, exc_info=raised)
        raise _Refusal(500, type(raised).__name__ if raised else "ActionFailed",
                       str(raised) if raised else f"action '{name}' failed")
    try:
        answer = {"status": "success", "result": encode_result(outcome.raw)}
        if ui_events:
            answer["ui_events"] = ui_events
        return json.dumps(answer)
    except (TypeError, ValueError) as error:
        log.error("action '%s' returned a value JSON cannot encode", name, exc_info=error)
        raise _Refusal(500, "ResultNotSerializable",
                       f"action '{name}' returned a value that cannot be sent as JSON "
                       f"({type(outcome.return_value).__name__}): {error}") from None


async def _read_body(request: Any, limit: int) -> bytes:
    too_large = _Refusal(413, "PayloadTooLarge", f"request body larger than {limit} bytes")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise too_large
    from starlette.requests import ClientDisconnect

    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:  # gone, or cut off by the body deadline (http_protocol)
        raise _Refusal(408, "RequestTimeout", "the request body did not arrive completely"
                       ) from None
    return b"".join(chunks)


def parameter_problem(name: str, spec: Any, params: dict) -> Optional[str]:
    """What is wrong with `params` for the action's signature (None when they fit), so a
    wrong call is a 422 naming the parameter rather than a TypeError from inside the call."""
    import inspect

    from rails.actions.callables import CLASS
    from rails.actions.positional import bind_positional
    from rails.errors import ActionError

    if spec is None or spec.signature is None:
        return None  # Runnables, chains, callables without a signature: they check
    named = dict(params)
    if "$1" in named:
        try:
            bind_positional(name, named, spec)
        except ActionError as error:
            return str(error)
    parameters = list(spec.signature.parameters.values())
    if spec.kind == CLASS and parameters and parameters[0].name == "self":
        parameters = parameters[1:]
    takes = ", ".join(spec.ordered) or "no parameters"
    if not spec.var_keyword:
        unexpected = sorted(key for key in named if key not in spec.params)
        if unexpected:
            listed = ", ".join(f"'{key}'" for key in unexpected)
            return (f"action '{name}' got unexpected parameter(s) {listed}; it takes: {takes}")
    missing = [p.name for p in parameters if p.default is inspect.Parameter.empty
               and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              inspect.Parameter.KEYWORD_ONLY)
               and p.name not in named]
    if missing:
        listed = ", ".join(f"'{key}'" for key in missing)
        return f"action '{name}' is missing required parameter(s) {listed}; it takes: {takes}"
    return None


def _parse_run_request(body: bytes) -> tuple[str, dict]:
    from rails.server.json_limits import BodyError, parse_json

    try:
        payload = parse_json(body)
    except BodyError as error:
        raise _Refusal(400, "BadRequest", str(error)) from None
    if not isinstance(payload, dict):
        raise _Refusal(400, "BadRequest", "the body must be a JSON object")
    name = payload.get("action_name")
    if not isinstance(name, str) or not name.strip():
        raise _Refusal(400, "BadRequest", "`action_name` must be a non-empty string")
    params = payload.get("action_parameters")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise _Refusal(400, "BadRequest", "`action_parameters` must be a JSON object")
    return name, params
