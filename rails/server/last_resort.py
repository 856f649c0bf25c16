"""The outermost layer of the server: whatever escapes everything else (a BaseException such
as SystemExit, which Starlette's error middleware does not catch) still gets an answer in the
API's JSON error shape, never the server's plain-text "Internal Server Error"."""
from __future__ import annotations

import json
import logging
from typing import Any

from rails.server.api_errors import ApiError

log = logging.getLogger("rails.server")


class LastResortErrors:
    """ASGI middleware: a JSON 500 for anything raised before the response started; after
    that (the error was answered already, or a stream broke) the error is only logged."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        import asyncio

        started = False

        async def tracked_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # noqa: BLE001 - the last place anything can be caught
            if started:
                log.debug("error after the response started on %s", scope.get("path"),
                          exc_info=error)
                return
            log.error("unhandled %s on %s %s", type(error).__name__, scope.get("method"),
                      scope.get("path"), exc_info=error)
            body = json.dumps(ApiError(500, f"internal error: {type(error).__name__}: {error}",
                                       type="internal_error", code="internal_error").body(),
                              default=str).encode()
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})


def guarded(starlette_class: type) -> type:
    """A Starlette subclass whose middleware stack sits inside LastResortErrors."""

    class GuardedStarlette(starlette_class):  # type: ignore[misc, valid-type]
        def build_middleware_stack(self) -> Any:
            return LastResortErrors(super().build_middleware_stack())

    return GuardedStarlette
