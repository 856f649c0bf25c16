"""The ASGI application (Starlette): OpenAI-compatible chat completions over rails configs.

Routes: `POST /v1/chat/completions`, `POST /v1/checks`, `GET /v1/models`, `GET /v1/models/{id}`,
`GET /v1/rails/configs`, `GET /health`, and the thread routes of interactive actions
(`interaction_routes.py`). Every error is JSON in OpenAI's error shape."""
from __future__ import annotations

import contextlib
import json
import logging
from typing import Any, Optional

from rails.server import nemo_hooks
from rails.server.api_errors import ApiError
from rails.server.checks import Checks
from rails.server.completions import ChatCompletions
from rails.server.identity import apply_identity
from rails.server.configs import ConfigRegistry
from rails.server.disconnect import ClientDisconnected, unless_disconnected
from rails.server.last_resort import guarded
from rails.server.threads import ThreadStore
from rails.server.wire import parse_chat_request

log = logging.getLogger("rails.server")

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024


def create_app(registry: ConfigRegistry, threads: Optional[ThreadStore] = None, *,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, chat_ui: bool = True,
               state_key: Optional[bytes] = None, trust_identity_headers: bool = False) -> Any:
    """`chat_ui`: whether the browser chat page is offered (NeMo's `--disable-chat-ui` turns
    it off); kept in `app.state.chat_ui` for the routes that serve it. `state_key` signs the
    states sent to clients (default: see rails.state.signing)."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    completions = ChatCompletions(registry, threads, state_key=state_key)
    from rails.server.interaction_routes import InteractionRoutes

    interactions = InteractionRoutes(registry, threads, completions, max_body_bytes,
                                     trust_identity_headers)

    async def chat_completions(request: Request):
        raw = await _json_body(request, max_body_bytes)
        nemo_hooks.notify_loggers("/v1/chat/completions", raw)
        body = parse_chat_request(raw)
        apply_identity(body, request.headers, trust_identity_headers)  # rails.policy's user
        if not body.stream:
            try:  # a client that goes away cancels its turn
                answer = await unless_disconnected(request.receive, completions.complete(body))
            except ClientDisconnected:
                return Response(status_code=499)  # nobody reads it
            # Actions may leave values JSON cannot hold (datetimes, objects) in `output_data`
            # or `state`: they travel as their string form rather than failing the turn.
            return Response(json.dumps(answer, default=str), media_type="application/json")
        rails, model = await completions.prepare(body)
        return StreamingResponse(completions.stream(body, rails, model),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})

    checks = Checks(registry)

    async def checks_route(request: Request):
        return JSONResponse(await checks.check(await _json_body(request, max_body_bytes)))

    async def list_models(request: Request):
        return JSONResponse({"object": "list",
                             "data": [_model(item) for item in registry.available()]})

    async def get_model(request: Request):
        model_id = request.path_params["model_id"]
        if model_id not in registry.available():
            raise ApiError(404, f"no rails config named {model_id!r}; available: "
                           f"{', '.join(registry.available())}", param="model",
                           code="model_not_found")
        return JSONResponse(_model(model_id))

    async def list_configs(request: Request):
        return JSONResponse([{"id": item} for item in registry.available()])

    async def list_challenges(request: Request):
        return JSONResponse(nemo_hooks.challenges)

    async def health(request: Request):
        return JSONResponse({"status": "ok"})

    async def api_error(request: Request, error: ApiError):
        return JSONResponse(error.body(), status_code=error.status)

    async def http_error(request: Request, error: HTTPException):
        kind = "not_found" if error.status_code == 404 else "invalid_request_error"
        message = (f"no route {request.method} {request.url.path}"
                   if error.status_code in (404, 405) else str(error.detail))
        return JSONResponse(ApiError(error.status_code, message, type=kind).body(),
                            status_code=error.status_code, headers=error.headers)

    async def unexpected_error(request: Request, error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = ApiError(500, f"internal error: {type(error).__name__}: {error}",
                        type="internal_error").body()
        return JSONResponse(body, status_code=500)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if threads is not None:
            log.info("threads are kept in %s", threads.describe())
        log.info("serving configs from %s: %s", registry.root, ", ".join(registry.available()))
        interactions.start()
        try:
            yield
        finally:
            await interactions.stop()
            await registry.aclose()
            for store in {id(s): s for s in (threads, completions.threads) if s}.values():
                await store.close()

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/checks", checks_route, methods=["POST"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model_id:path}", get_model, methods=["GET"]),
        Route("/v1/rails/configs", list_configs, methods=["GET"]),
        Route("/v1/challenges", list_challenges, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        *interactions.routes(),  # buttons, questions, threads (rails/server/interaction_routes)
    ]
    if chat_ui:
        from rails.server.ui_routes import ui_routes

        routes += ui_routes()
    application = guarded(Starlette)(routes=routes, lifespan=lifespan, exception_handlers={
        ApiError: api_error, HTTPException: http_error, Exception: unexpected_error})
    # Reachable for embedding applications and tests (e.g. to swap the thread store).
    application.state.registry = registry
    application.state.completions = completions
    application.state.chat_ui = chat_ui
    _start_nemo_hooks(application, registry, completions, interactions)
    return application


def _start_nemo_hooks(application: Any, registry: Any, completions: Any,
                      interactions: Any) -> None:
    """The served folder's challenges.json and config.py `init(app)` (NeMo's start-up); a
    DataStore registered there, or before, keeps the threads from then on."""
    from rails.server import nemo_hooks

    nemo_hooks.start_up(getattr(registry, "root", None), application)
    if nemo_hooks.datastore is not None and completions.threads is not None:
        from rails.state.datastore_store import DataStoreThreads
        from rails.state.signing import StateSeal, signing_key

        store = DataStoreThreads(nemo_hooks.datastore)
        completions.threads = interactions.threads = store
        completions.state_seal = StateSeal(signing_key(store))


async def _json_body(request: Any, limit: int) -> Any:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    from starlette.requests import ClientDisconnect

    from rails.server.json_limits import BodyError, parse_json

    raw = bytearray()
    try:
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > limit:
                raise _too_large(limit)
    except ClientDisconnect:  # gone, or cut off by the body deadline (http_protocol)
        raise ApiError(408, "the request body did not arrive completely",
                       code="request_timeout") from None
    if not raw:
        raise ApiError(400, "the request body is empty; send a JSON object",
                       code="invalid_body")
    try:
        return parse_json(bytes(raw))
    except BodyError as error:
        raise ApiError(400, str(error), code="invalid_json") from error


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"the request body is larger than {limit} bytes",
                    code="body_too_large")


def _model(config_id: str) -> dict:
    return {"id": config_id, "object": "model", "created": 0, "owned_by": "dialog-rails"}
