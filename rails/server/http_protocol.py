"""The HTTP/1.1 connection handling both servers run on: uvicorn's httptools protocol plus the
limits uvicorn does not have.

- Read deadlines: a request's headers must arrive within `header_timeout` seconds of its first
  byte (or of the connection, for a client that connects and says nothing), and its body within
  `body_timeout` of the headers. A half-sent request gets a 408 and the connection is closed,
  so slow clients cannot hold connections (and the memory behind them) forever.
- At most `max_header_bytes` of request line and headers (431 beyond).
- At most `max_connections` open connections per process: one more is answered 503 and closed
  at once, before anything is read.
- TCP_NODELAY on every connection. asyncio sets it only on sockets it created from an address;
  with `--workers N` uvicorn hands the workers a socket it bound itself, asyncio skips it, and
  every small keep-alive response then waits for the client's delayed ACK (~40 ms).

Every answer given here is JSON, like the applications' own errors. The limits are class
attributes set by `configure()`; worker processes call it from the app factory."""
from __future__ import annotations

import json
import logging
import socket
from typing import Any, Optional

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("rails.server.http")

DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
DEFAULT_KEEP_ALIVE = 5.0

_REASONS = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large",
            503: "Service Unavailable"}


class GuardedHttpProtocol(HttpToolsProtocol):
    header_timeout = DEFAULT_HEADER_TIMEOUT
    body_timeout = DEFAULT_BODY_TIMEOUT
    max_connections = DEFAULT_MAX_CONNECTIONS
    max_header_bytes = DEFAULT_MAX_HEADER_BYTES

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._deadline: Any = None
        self._reading_headers = False
        self._header_bytes = 0
        self._refusal: Optional[tuple] = None

    # -- connection --------------------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # not TCP after all; nothing to tune
                pass
        if len(self.connections) > self.max_connections:
            log.warning("connection refused: %d connections open (limit %d)",
                        len(self.connections) - 1, self.max_connections)
            self._answer(503, "too many open connections; try again shortly",
                         "too_many_connections")
            return
        self._reading_headers = True
        self._arm(self.header_timeout, "the request headers did not arrive within "
                  f"{self.header_timeout:g}s")

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._disarm()
        super().connection_lost(exc)

    # -- parser callbacks --------------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if not self._reading_headers:
            self._reading_headers = True
            self._arm(self.header_timeout, "the request headers did not arrive within "
                      f"{self.header_timeout:g}s")

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count_header_bytes(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes:
            # Raising from a parser callback makes httptools stop with an HttpParserError,
            # which uvicorn answers through send_400_response (below), before any app runs.
            self._refusal = (431, f"the request line and headers exceed "
                             f"{self.max_header_bytes} bytes", "headers_too_large")
            raise ValueError("request headers too large")

    def on_headers_complete(self) -> None:
        self._reading_headers, self._header_bytes = False, 0
        self._arm(self.body_timeout, f"the request body did not arrive within "
                  f"{self.body_timeout:g}s")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Idle keep-alive connections are closed by uvicorn's own keep-alive timer; the header
        # deadline starts again with the next request's first byte.

    # -- deadlines ---------------------------------------------------------------------------
    def _arm(self, seconds: float, message: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired, message)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self, message: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and self.cycle.response_started
        log.info("closing a connection from %s: %s", self.client, message)
        if answering:  # the application already answers; nothing sensible can be added
            self.transport.close()
        else:
            self._answer(408, message, "request_timeout")

    def _answer(self, status: int, message: str, code: str) -> None:
        """A JSON error, then close: the connection's state is unknown after it."""
        self._disarm()
        body = json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                     "param": None, "code": code}}).encode()
        head = (f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n"
                "content-type: application/json\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode()
        self.transport.write(head + body)
        self.transport.close()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()

    def send_400_response(self, msg: str) -> None:
        if self._refusal is not None:
            self._answer(*self._refusal)
        else:
            self._answer(400, f"malformed HTTP request: {msg}", "invalid_http")


def configure(*, header_timeout: Optional[float] = None, body_timeout: Optional[float] = None,
              max_connections: Optional[int] = None,
              max_header_bytes: Optional[int] = None) -> None:
    """Set the limits of every connection this process serves from now on."""
    for name, value in (("header_timeout", header_timeout), ("body_timeout", body_timeout),
                        ("max_connections", max_connections),
                        ("max_header_bytes", max_header_bytes)):
        if value is not None:
            if value <= 0:
                raise ValueError(f"{name.replace('_', '-')} must be positive, got {value}")
            setattr(GuardedHttpProtocol, name, value)


def uvicorn_options() -> dict:
    """Keyword arguments of `uvicorn.run` / `uvicorn.Config` for the guarded protocol."""
    return {"http": GuardedHttpProtocol, "timeout_keep_alive": DEFAULT_KEEP_ALIVE}
