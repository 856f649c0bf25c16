"""`RemoteActionsClient`: runs actions on an actions server over HTTP (spec §4.5).

One pooled `httpx.AsyncClient` per event loop (created on first use). Only failures to connect
are retried, with a short backoff, since nothing reached the server then; a request that was
sent is never repeated (the action may have side effects). Every failure raises
`RemoteActionError` naming the URL, the HTTP status and the reason."""
from __future__ import annotations

import asyncio
import json
import os
from typing import Any, Optional
from urllib.parse import urljoin

from rails.actions.wire import RUN_PATH, TOKEN_ENV, decode_result, unserializable_key
from rails.errors import RemoteActionError

_BACKOFF_SECONDS = 0.05
_ERROR_EXCERPT = 300


class RemoteActionsClient:
    """Client of an actions server at `url`.

    `token`: sent as `Authorization: Bearer <token>` (default: the environment variable
    DIALOG_RAILS_ACTIONS_TOKEN). `connect_timeout` bounds connecting, `timeout` the whole
    exchange once connected; `retries` is how many more times a failed connection is tried."""

    def __init__(self, url: str, token: Optional[str] = None, connect_timeout: float = 2.0,
                 timeout: float = 30.0, retries: int = 2, *, transport: Any = None):
        if not url or "://" not in url:
            raise ValueError(f"actions server URL must be absolute (http://host:port): {url!r}")
        self.url = url
        # Joined with an absolute path, like the reference: any path in `url` is replaced.
        self.run_url = urljoin(url, RUN_PATH)
        self.token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self.connect_timeout, self.timeout = connect_timeout, timeout
        self.retries = max(0, int(retries))
        self._transport = transport
        self._client: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def _http(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop or self._client.is_closed:
            import httpx

            headers = {"content-type": "application/json"}
            if self.token:
                headers["authorization"] = f"Bearer {self.token}"
            # A client found bound to another (finished) loop is dropped, not reused: its
            # connections belong to that loop.
            self._client = httpx.AsyncClient(
                headers=headers, transport=self._transport,
                timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=100))
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.aclose()

    async def run(self, name: str, params: dict) -> Any:
        """Run action `name` remotely; returns its value (an ActionResult when the server sent
        one)."""
        try:
            body = json.dumps({"action_name": name, "action_parameters": params})
        except (TypeError, ValueError) as error:
            key = unserializable_key(params)
            raise self._error(name, f"parameter {key!r} cannot be sent as JSON: {error}",
                              reason="parameters not JSON-serializable") from error
        import httpx

        client = self._http()
        attempt = 0
        while True:
            try:
                response = await client.post(self.run_url, content=body)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                if attempt >= self.retries:
                    raise self._error(
                        name, f"cannot connect ({attempt + 1} attempt(s)): "
                        f"{type(error).__name__}: {error}",
                        reason="connection failed") from error
                await asyncio.sleep(_BACKOFF_SECONDS * (2 ** attempt))
                attempt += 1
            except httpx.TimeoutException as error:
                raise self._error(name, f"no answer within {self.timeout:g}s "
                                  f"({type(error).__name__})", reason="timeout") from error
            except httpx.HTTPError as error:
                raise self._error(name, f"{type(error).__name__}: {error}",
                                  reason="transport error") from error
        return self._result(name, response)

    def _result(self, name: str, response: Any) -> Any:
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = None
            if status == 200:
                raise self._error(name, "the answer is not valid JSON: "
                                  f"{_excerpt(response.text)!r}", status=status,
                                  reason="invalid JSON")
        if status != 200:
            reason = "unknown action" if status == 404 else "http error"
            detail = _error_message(payload) or _excerpt(response.text) or response.reason_phrase
            raise self._error(name, f"HTTP {status}: {detail}", status=status, reason=reason)
        if not isinstance(payload, dict) or "status" not in payload:
            raise self._error(name, "the answer is not an object with a `status`: "
                              f"{_excerpt(response.text)!r}", status=status,
                              reason="invalid response")
        if payload["status"] != "success":
            detail = _error_message(payload) or "the server reported the action as failed"
            raise self._error(name, detail, status=status, reason="action failed")
        return decode_result(payload.get("result"))

    def _error(self, name: str, detail: str, *, status: Optional[int] = None,
               reason: str) -> RemoteActionError:
        return RemoteActionError(f"remote action '{name}' at {self.run_url} failed: {detail}",
                                 action_name=name, url=self.run_url, status=status,
                                 reason=reason)


def _error_message(payload: Any) -> Optional[str]:
    """The message of our server's `{"error": {"type", "message"}}` or of a FastAPI-style
    `{"detail": ...}`."""
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if isinstance(error, dict) and error.get("message"):
        kind = error.get("type")
        return f"{kind}: {error['message']}" if kind else str(error["message"])
    if isinstance(error, str):
        return error
    if payload.get("detail"):
        return _excerpt(json.dumps(payload["detail"]))
    return None


def _excerpt(text: str) -> str:
    text = (text or "").strip()
    return text if len(text) <= _ERROR_EXCERPT else text[:_ERROR_EXCERPT] + "..."
