"""An optional bearer token for the chat server (`serve --token`, or the environment variable
DIALOG_RAILS_SERVER_TOKEN). With one set, every API route (`/v1/...`) needs
`Authorization: Bearer <token>`; the chat page's static files and `/health` stay open (the page
asks for the token and sends it with its API calls)."""
from __future__ import annotations

import hmac
import json
import os
from typing import Any, Optional

TOKEN_ENV_VAR = "DIALOG_RAILS_SERVER_TOKEN"


def server_token(given: Optional[str]) -> Optional[str]:
    return given or os.environ.get(TOKEN_ENV_VAR) or None


class BearerToken:
    """ASGI middleware: answers 401 (JSON, OpenAI's error shape) to API requests without the
    token. The comparison takes the same time whatever the guess."""

    def __init__(self, app: Any, token: str):
        self.app, self.expected = app, f"Bearer {token}".encode()
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and _protected(scope) and not self._allowed(scope):
            await _unauthorized(send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: dict) -> bool:
        given = dict(scope.get("headers") or ()).get(b"authorization", b"")
        return hmac.compare_digest(given, self.expected)


def _protected(scope: dict) -> bool:
    path = scope["path"][len(scope.get("root_path", "")):] if scope["path"].startswith(
        scope.get("root_path", "")) else scope["path"]
    return path.startswith("/v1/") or path == "/v1"


async def _unauthorized(send: Any) -> None:
    body = json.dumps({"error": {
        "message": "this server needs a token: send `Authorization: Bearer <token>`",
        "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}).encode()
    await send({"type": "http.response.start", "status": 401, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", b"Bearer")]})
    await send({"type": "http.response.body", "body": body})
