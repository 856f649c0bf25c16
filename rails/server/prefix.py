"""`--prefix /guardrails`: every route under a path prefix (NeMo's `server --prefix`). The
application is unchanged: Starlette strips `root_path` from the path before routing, so the
prefix is passed as the root path; requests outside it get a JSON 404."""
from __future__ import annotations

import json
from typing import Any


def normalize_prefix(prefix: str) -> str:
    prefix = (prefix or "").strip()
    if not prefix or prefix == "/":
        return ""
    if not prefix.startswith("/"):
        raise ValueError(f"--prefix must start with '/', got {prefix!r}")
    return prefix.rstrip("/")


class PrefixedApp:
    def __init__(self, app: Any, prefix: str):
        self.app, self.prefix = app, prefix
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            path = scope["path"]
            if path != self.prefix and not path.startswith(self.prefix + "/"):
                if scope["type"] == "http":
                    await _not_found(scope, send, self.prefix)
                return
            scope = dict(scope, root_path=scope.get("root_path", "") + self.prefix)
        await self.app(scope, receive, send)


async def _not_found(scope: dict, send: Any, prefix: str) -> None:
    body = json.dumps({"error": {"message": f"no route {scope['method']} {scope['path']}: "
                                 f"this server's routes are under {prefix}",
                                 "type": "not_found", "param": None, "code": None}}).encode()
    await send({"type": "http.response.start", "status": 404,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
