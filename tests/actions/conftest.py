"""Helpers for the action tests: a real actions server subprocess on a free loopback port
(tests/server_processes.py), a tiny raw HTTP server for the client's failure cases."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Iterator, Optional

import pytest

from tests.server_processes import ServerProcess, free_port
from tests.server_processes import start_actions_server as start_process

SERVED = Path(__file__).resolve().parent / "served"
STARTUP_SECONDS = 20.0


# The actions server never serves without a token unless told `--no-auth`; tests hand this one
# to their clients (`server.token`).
TEST_TOKEN = "test-token-for-the-actions-server"


def start_actions_server(*extra: str, config: Path = SERVED, token: Optional[str] = TEST_TOKEN,
                         env: Optional[dict] = None, port: Optional[int] = None
                         ) -> ServerProcess:
    """`python -m rails actions-server --config ...` on `port` (default: a free one), once
    /health answers; with `--token token` unless `token` is None."""
    return start_process("--config", str(config), *extra, token=token, env=env, port=port,
                         timeout=STARTUP_SECONDS)


@pytest.fixture(scope="module")
def actions_server() -> Iterator[ServerProcess]:
    server = start_actions_server("--timeout", "1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def token_server() -> Iterator[ServerProcess]:
    server = start_actions_server(token="s3cret-token")
    yield server
    server.stop()


class TinyServer:
    """A minimal loopback HTTP/1.1 server answering every request with `reply(body)` (raw
    response bytes, or None to drop the connection without answering)."""

    def __init__(self, reply):
        self.reply, self.requests = reply, []
        self._server = None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    async def start(self) -> "TinyServer":
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def _handle(self, reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            self.requests.append(body)
            answer = self.reply(body)
            if answer is not None:
                writer.write(answer)
                await writer.drain()
        finally:
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def http_response(body: bytes, status: str = "200 OK",
                  content_type: str = "application/json") -> bytes:
    return (f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


@pytest.fixture
def server_factory():
    """Start extra actions servers (stopped after the test): `server_factory(*cli_args, ...)`."""
    started: list[ServerProcess] = []

    def start(*extra: str, **options) -> ServerProcess:
        server = start_actions_server(*extra, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
async def tiny_server():
    """`await tiny_server(reply)` -> a running TinyServer, closed after the test."""
    servers: list[TinyServer] = []

    async def start(reply) -> TinyServer:
        server = await TinyServer(reply).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
def respond():
    """Builds raw HTTP responses for TinyServer replies."""
    return http_response


@pytest.fixture
def actions_token() -> str:
    """The token test servers are started with (`start_actions_server`'s default)."""
    return TEST_TOKEN


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def launch_actions_server():
    """The start function itself, for module-scoped servers of other configs (the caller
    stops them)."""
    return start_actions_server
