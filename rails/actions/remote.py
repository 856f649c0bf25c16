"""`RemoteActionsClient`: runs actions on an actions server over HTTP (spec §4.5).

Connections are pooled per event loop (created on first use). Plain `http://` servers are
reached through the lean keep-alive client of `rails.actions.http11`; `https://` servers, or
any server when a custom httpx `transport` is given, through one `httpx.AsyncClient`.

Only failures to connect are retried, with a short backoff, since nothing reached the server
then; a request that was sent is never repeated (the action may have side effects). Every
failure raises `RemoteActionError` naming the URL, the HTTP status and the reason, but the
server's permission refusal, which raises `PermissionDenied` (rails.policy)."""
from __future__ import annotations

import asyncio
import json
import os
import secrets
from typing import Any, Optional
from urllib.parse import urljoin, urlsplit

from rails.actions import http11
from rails.actions.ui_sink import ui_event_sink
from rails.actions.wire import RUN_PATH, TOKEN_ENV, decode_result, unserializable_key
from rails.errors import RemoteActionError

_BACKOFF_SECONDS = 0.05

_ERROR_EXCERPT = 300


class RemoteActionsClient:
    """Client of an actions server at `url`.

    `token`: sent as `Authorization: Bearer <token>` (default: the environment variable
    DIALOG_RAILS_ACTIONS_TOKEN). `connect_timeout` bounds connecting, `timeout` the exchange
    once connected; `retries` is how many more times a failed connection is tried. A permission
refusal of the server (403 `PermissionDenied`) raises `PermissionDenied`, as a local one.
    `transport`: an httpx transport to use instead of the network (tests, proxies)."""

    def __init__(self, url: str, token: Optional[str] = None, connect_timeout: float = 2.0,
                 timeout: float = 30.0, retries: int = 2, *, transport: Any = None):
        if not url or urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"actions server URL must be absolute http(s): {url!r}")
        self.url = url
        # Joined with an absolute path, like the reference: any path in `url` is replaced.
        self.run_url = urljoin(url, RUN_PATH)
        self.token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self.connect_timeout, self.timeout = float(connect_timeout), float(timeout)
        self.retries = max(0, int(retries))
        self._transport = transport
        self._headers = {"content-type": "application/json"}
        if self.token:
            self._headers["authorization"] = f"Bearer {self.token}"
        self._plain = None if transport is not None else http11.split_http_url(self.run_url)
        self._backend: Any = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def _connections(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._backend is None or self._loop is not loop:
            # Connections made on another (finished) loop belong to it: start afresh.
            if self._plain is not None:
                host, port = self._plain
                self._backend = http11.Http11Pool(host, port,
                                                  connect_timeout=self.connect_timeout)
            else:
                self._backend = _HttpxBackend(self)
            self._loop = loop
        return self._backend

    async def aclose(self) -> None:
        backend, self._backend = self._backend, None
        if backend is None:
            return
        if isinstance(backend, _HttpxBackend):
            if self._loop is asyncio.get_running_loop():
                await backend.client.aclose()
        else:
            backend.close()

    async def run(self, name: str, params: dict) -> Any:
        """Run action `name` remotely; returns its value (an ActionResult when the server sent
        one)."""
        try:
            body = json.dumps({"action_name": name, "action_parameters": params}).encode()
        except (TypeError, ValueError) as error:
            key = unserializable_key(params)
            raise self._error(name, f"parameter {key!r} cannot be sent as JSON: {error}",
                              reason="parameters not JSON-serializable") from error
        connections = self._connections()
        path = urlsplit(self.run_url).path
        # One key per invocation, the same on every retry: the server runs it at most once.
        headers = {**self._headers, "idempotency-key": "rails-" + secrets.token_hex(16)}
        attempt = 0
        while True:
            try:
                answer = await connections.post(path, body, headers, self.timeout)
                break
            except http11.ConnectFailed as error:
                if attempt >= self.retries:
                    raise self._error(name, f"cannot connect ({attempt + 1} attempt(s)): {error}",
                                      reason="connection failed") from error.__cause__ or error
                await asyncio.sleep(_BACKOFF_SECONDS * (2 ** attempt))
                attempt += 1
            except http11.ReadTimedOut as error:
                raise self._error(name, str(error), reason="timeout") from error
            except http11.ExchangeFailed as error:
                raise self._error(name, f"the connection failed during the exchange: {error}",
                                  reason="transport error") from error.__cause__ or error
        result, ui_events = self._result(name, answer)
        sink = ui_event_sink.get()
        if ui_events and sink is not None:
            for event in ui_events:
                await sink(event)
        return result

    def _result(self, name: str, answer: http11.Answer) -> tuple[Any, list]:
        status = answer.status
        text = answer.body.decode("utf-8", errors="replace")
        try:
            payload = json.loads(answer.body) if answer.body else None
        except ValueError:
            payload = None
            if status == 200:
                raise self._error(name, f"the answer is not valid JSON: {_excerpt(text)!r}",
                                  status=status, reason="invalid JSON") from None
        if status == 403:
            refused = _refusal(name, payload)
            if refused is not None:
                raise refused
        if status != 200:
            reason = "unknown action" if status == 404 else "http error"
            detail = _error_message(payload) or _excerpt(text) or answer.reason
            raise self._error(name, f"HTTP {status}: {detail}", status=status, reason=reason)
        if not isinstance(payload, dict) or "status" not in payload:
            raise self._error(name, "the answer is not an object with a `status`: "
                              f"{_excerpt(text)!r}", status=status, reason="invalid response")
        if payload["status"] != "success":
            detail = _error_message(payload) or "the server reported the action as failed"
            raise self._error(name, detail, status=status, reason="action failed")
        events = payload.get("ui_events")
        return decode_result(payload.get("result")), events if isinstance(events, list) else []

    def _error(self, name: str, detail: str, *, status: Optional[int] = None,
               reason: str) -> RemoteActionError:
        return RemoteActionError(f"remote action '{name}' at {self.run_url} failed: {detail}",
                                 action_name=name, url=self.run_url, status=status,
                                 reason=reason)


class _HttpxBackend:
    """The same exchange through httpx (https, proxies, custom transports), with its errors
    mapped onto the phases of `rails.actions.http11`."""

    def __init__(self, owner: RemoteActionsClient):
        import httpx

        self.base = owner.run_url
        self.client = httpx.AsyncClient(
            transport=owner._transport,
            timeout=httpx.Timeout(owner.timeout, connect=owner.connect_timeout),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=64))

    async def post(self, path: str, body: bytes, headers: dict, timeout: float
                   ) -> http11.Answer:
        import httpx

        try:
            response = await self.client.post(self.base, content=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise http11.ConnectFailed(f"{type(error).__name__}: {error}") from error
        except httpx.TimeoutException as error:
            raise http11.ReadTimedOut(f"no answer within {timeout:g}s "
                                      f"({type(error).__name__})") from error
        except httpx.HTTPError as error:
            raise http11.ExchangeFailed(f"{type(error).__name__}: {error}") from error
        return http11.Answer(response.status_code, response.reason_phrase, response.content)


def _refusal(name: str, payload: Any) -> Any:
    """The server's permission refusal (a 403 `PermissionDenied`) as the PermissionDenied a
    local refusal is, its decision recorded for this turn's `explain()`; None for any other
    403."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict) or error.get("type") != "PermissionDenied":
        return None
    from rails.policy.audit import record_decision
    from rails.policy.rules import Decision, PermissionDenied

    message = str(error.get("message") or f"permission denied: action '{name}'")
    reason = message.split(": ", 1)[1] if message.startswith("permission denied: ") \
        else message
    decision = Decision(str(error.get("action") or name), str(error.get("caller") or "http"),
                        False, f"{reason} (on the actions server)",
                        rule=error.get("rule"))
    record_decision(decision)
    return PermissionDenied(message, action_name=name, decision=decision)


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
