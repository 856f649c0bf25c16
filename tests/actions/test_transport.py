"""The two ways the remote client reaches a server: the lean HTTP/1.1 pool (plain http) and
httpx (https or a custom transport). Both must frame answers correctly, reuse connections and
fail with the same errors."""
from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from rails.actions import ActionResult
from rails.actions.remote import RemoteActionsClient
from rails.errors import RemoteActionError


class KeepAliveServer:
    """Answers many requests per connection; counts connections."""

    def __init__(self, answers):
        self.answers = list(answers)  # raw responses, in order; the last one repeats
        self.connections = 0
        self.requests: list[bytes] = []

    async def handle(self, reader, writer):
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length"))
                self.requests.append(head + await reader.readexactly(length))
                answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer.lower():
                    return
        finally:
            writer.close()


async def serve(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_connections_are_reused_and_headers_sent():
    body = b'{"status": "success", "result": "ok"}'
    answer = (b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body)) + body
    keep_alive = KeepAliveServer([answer])
    server, url = await serve(keep_alive.handle)
    client = RemoteActionsClient(url, token="abc")
    try:
        for i in range(10):
            assert await client.run("echo", {"value": i}) == "ok"
    finally:
        await client.aclose()
        server.close()
    assert keep_alive.connections == 1
    first = keep_alive.requests[0]
    assert first.startswith(b"POST /v1/actions/run HTTP/1.1\r\n")
    assert b"authorization: Bearer abc" in first
    assert json.loads(first.split(b"\r\n\r\n", 1)[1]) == {
        "action_name": "echo", "action_parameters": {"value": 0}}


async def test_chunked_and_close_delimited_answers():
    payload = json.dumps({"status": "success", "result": {
        "__action_result__": True, "return_value": [1, 2], "events": None,
        "context_updates": {"k": "v"}}}).encode()
    half = len(payload) // 2
    chunked = (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
               + b"%x\r\n" % half + payload[:half] + b"\r\n"
               + b"%x;ext=1\r\n" % (len(payload) - half) + payload[half:] + b"\r\n0\r\n\r\n")
    until_close = b"HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n" + payload
    keep_alive = KeepAliveServer([chunked, chunked])
    server, url = await serve(keep_alive.handle)
    client = RemoteActionsClient(url)
    try:
        expected = ActionResult(return_value=[1, 2], context_updates={"k": "v"})
        assert await client.run("a", {}) == expected
        assert await client.run("a", {}) == expected
        assert keep_alive.connections == 1
    finally:
        await client.aclose()
        server.close()

    async def close_delimited(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(until_close)
        await writer.drain()
        writer.close()

    server, url = await serve(close_delimited)
    client = RemoteActionsClient(url)
    try:
        assert (await client.run("a", {})).context_updates == {"k": "v"}
        assert (await client.run("a", {})).return_value == [1, 2]  # a new connection
    finally:
        await client.aclose()
        server.close()


async def test_idle_connection_closed_by_the_server_is_replaced():
    body = b'{"status": "success", "result": 1}'
    answer = (b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body)) + body
    connections = []

    async def answer_once_then_hang_up(reader, writer):
        connections.append(writer)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))
        await reader.readexactly(length)
        writer.write(answer)
        await writer.drain()
        await asyncio.sleep(0.02)
        writer.close()  # like a keep-alive timeout

    server, url = await serve(answer_once_then_hang_up)
    client = RemoteActionsClient(url, retries=0)
    try:
        assert await client.run("a", {}) == 1
        await asyncio.sleep(0.1)
        assert await client.run("a", {}) == 1
    finally:
        await client.aclose()
        server.close()
    assert len(connections) == 2


async def test_garbage_instead_of_http():
    async def garbage(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
        await writer.drain()
        writer.close()

    server, url = await serve(garbage)
    try:
        with pytest.raises(RemoteActionError) as caught:
            await RemoteActionsClient(url).run("a", {})
    finally:
        server.close()
    assert caught.value.reason == "transport error"
    assert "not an HTTP status line" in str(caught.value)


async def test_cancelled_call_does_not_poison_the_pool():
    body = b'{"status": "success", "result": "late"}'
    answer = (b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body)) + body

    async def slow(reader, writer):
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(2)  # the body is `{}`-sized in this test
                await asyncio.sleep(0.2)
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server, url = await serve(slow)
    client = RemoteActionsClient(url)
    try:
        task = asyncio.create_task(client.run("a", {}))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The half-used connection was dropped: this answer is not the cancelled one's.
        assert await client.run("a", {}) == "late"
    finally:
        await client.aclose()
        server.close()


# -- the httpx path --------------------------------------------------------------------------

def mock_client(handler, **options) -> RemoteActionsClient:
    return RemoteActionsClient("https://actions.example/base", transport=httpx.MockTransport(
        handler), **options)


async def test_httpx_path_success_and_errors():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        if body["action_name"] == "fail":
            return httpx.Response(500, json={"status": "failed", "error": {
                "type": "KeyError", "message": "'sku'"}})
        return httpx.Response(200, json={"status": "success", "result": body})

    client = mock_client(handler, token="t0k")
    try:
        assert await client.run("echo", {"a": 1}) == {"action_name": "echo",
                                                      "action_parameters": {"a": 1}}
        with pytest.raises(RemoteActionError, match="HTTP 500: KeyError: 'sku'") as caught:
            await client.run("fail", {})
        assert caught.value.status == 500
    finally:
        await client.aclose()
    assert str(seen[0].url) == "https://actions.example/v1/actions/run"
    assert seen[0].headers["authorization"] == "Bearer t0k"


async def test_httpx_path_retries_connect_errors_only():
    attempts = {"connect": 0, "read": 0}

    def refuse(request):
        attempts["connect"] += 1
        raise httpx.ConnectError("refused", request=request)

    def stall(request):
        attempts["read"] += 1
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(RemoteActionError) as caught:
        await mock_client(refuse, retries=2).run("a", {})
    assert caught.value.reason == "connection failed" and attempts["connect"] == 3
    with pytest.raises(RemoteActionError) as caught:
        await mock_client(stall, retries=2).run("a", {})
    assert caught.value.reason == "timeout" and attempts["read"] == 1


def test_bad_urls_are_rejected():
    for url in ("", "localhost:8001", "ftp://host/"):
        with pytest.raises(ValueError, match="actions server URL"):
            RemoteActionsClient(url)
