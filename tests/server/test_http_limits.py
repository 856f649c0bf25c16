"""HTTP limits of the chat server: hostile bodies are 400s naming the cause (in-process app),
and the connection limits hold on a real process (half-sent requests time out, too many
connections are refused, oversized headers are refused, answers stay JSON)."""
from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

HI = [{"role": "user", "content": "hi"}]


def _raw(body: str) -> dict:
    return {"content": body.encode(), "headers": {"content-type": "application/json"}}


@pytest.mark.parametrize("body, words", [
    ('{"messages": [{"role": "user", "content": "hi"}], "context": '
     + '{"a": ' * 5000 + "1" + "}" * 5000 + "}", "nested more than 64 levels"),
    ('{"messages": [{"role": "user", "content": "hi"}], "context": {"x": '
     + "[" * 70 + "]" * 70 + "}}", "nested more than 64 levels"),
    ('{"messages": [{"role": "user", "content": "hi"}], "temperature": ' + "9" * 5000 + "}",
     "5000 digits"),
    ('{"messages": [{"role": "user", "content": "hi"}], "temperature": 1e999}',
     "out of range"),
    ('{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}',
     "not valid JSON"),
    ('{"messages": [{"role": "user", "content": "hi \\ud800"}]}', "lone surrogate"),
    ('{"messages": [{"role": "user", "content": "hi"}], "thread_id": '
     '"\\udfffxxxxxxxxxxxxxxxxxxxxxxxx"}', "lone surrogate"),
    (b"\xff\xfe{}".decode("latin-1"), "not valid JSON"),
])
async def test_hostile_json_bodies_are_400(echo_app, body, words):
    app = await echo_app("alpha")
    response = await app.client.post("/v1/chat/completions", **_raw(body))
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]["message"]
    assert app.loader.loads == []  # refused before any config was touched


async def test_a_valid_surrogate_pair_is_text(echo_app):
    app = await echo_app("alpha")
    body = '{"messages": [{"role": "user", "content": "smile \\ud83d\\ude00"}]}'
    response = await app.client.post("/v1/chat/completions", **_raw(body))
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "alpha: smile \U0001F600 #1"


@pytest.mark.parametrize("events, param", [
    ([1, "x", None], "state.events[0]"),
    ([{"type": "UserMessage", "text": "hi"}, {"no_type": 1}], "state.events[1]"),
    ("abc", "state.events"),
])
async def test_state_events_must_be_event_objects(echo_app, events, param):
    app = await echo_app("alpha")
    response = await app.chat(state={"events": events})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


@pytest.mark.parametrize("thread_id", ["a\nbbbbbbbbbbbbbbbbbbbbbbbbb", "with spaces inside it ok",
                                       "ünïcödé-thread-id-here"])
async def test_thread_ids_are_printable_ascii(echo_app, thread_id):
    app = await echo_app("alpha")
    response = await app.chat(thread_id=thread_id)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "thread_id" and "printable ASCII" in error["message"]


async def test_a_uuid_thread_id_works(echo_app):
    app = await echo_app("alpha")
    response = await app.chat(thread_id="3f2b8c1e-5d6a-4b7c-9e0f-1a2b3c4d5e6f")
    assert response.status_code == 200


# -- a real process -------------------------------------------------------------------------

def _connect(server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _json_of(response: bytes) -> dict:
    return json.loads(response.split(b"\r\n\r\n", 1)[1])


def test_connection_limits_on_a_real_server(served_configs, server_factory, tmp_path):
    server = server_factory("--config-dir", str(served_configs), "--default-config", "store",
                            "--threads-db", str(tmp_path / "t.sqlite3"),
                            "--header-timeout", "1", "--body-timeout", "1",
                            "--max-connections", "8")
    # Headers that never finish: a 408 after the header deadline, then the connection closes.
    half_headers = _connect(server)
    half_headers.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
    # A body that never finishes.
    half_body = _connect(server)
    half_body.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                      b"content-type: application/json\r\ncontent-length: 100\r\n\r\n{\"mess")
    # A client that connects and says nothing.
    silent = _connect(server)
    started = time.monotonic()
    for sock in (half_headers, half_body, silent):
        answer = _read_all(sock)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert "did not arrive within 1s" in _json_of(answer)["error"]["message"]
    assert time.monotonic() - started < 8

    # Headers over the limit: 431, JSON.
    big = _connect(server)
    big.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nx-filler: " + b"a" * 70_000 + b"\r\n\r\n")
    answer = _read_all(big)
    big.close()
    assert answer.startswith(b"HTTP/1.1 431") and _json_of(answer)["error"]["code"] == \
        "headers_too_large"

    # Malformed HTTP: a JSON 400, not uvicorn's plain text.
    junk = _connect(server)
    junk.sendall(b"\x00\x01 nonsense\r\n\r\n")
    answer = _read_all(junk)
    junk.close()
    assert answer.startswith(b"HTTP/1.1 400") and b"application/json" in answer

    # Connection limit: with 8 open, the 9th is refused at once with a JSON 503, and the
    # server keeps answering once they close.
    held = [_connect(server) for _ in range(8)]
    time.sleep(0.3)
    extra = _connect(server)
    answer = _read_all(extra)
    extra.close()
    assert answer.startswith(b"HTTP/1.1 503")
    assert _json_of(answer)["error"]["code"] == "too_many_connections"
    for sock in held:
        sock.close()
    time.sleep(0.3)
    reply = httpx.post(server.base_url + "/v1/chat/completions",
                       json={"messages": HI}, timeout=10)
    assert reply.status_code == 200


def test_tcp_nodelay_is_set_on_sockets_asyncio_skips():
    """`--workers N` hands uvicorn's workers a socket made with proto 0, on which asyncio does
    not set TCP_NODELAY (every small keep-alive answer then waited ~40 ms for a delayed ACK).
    Served the same way here, in a thread, the accepted connection must have it."""
    import threading

    import uvicorn

    from rails.server.http_protocol import uvicorn_options

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, like uvicorn's
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    assert listener.proto == 0
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           **uvicorn_options()))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        with socket.create_connection(listener.getsockname(), timeout=5) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(1024).startswith(b"HTTP/1.1 200")
            [connection] = list(server.server_state.connections)
            sock = connection.transport.get_extra_info("socket")
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
