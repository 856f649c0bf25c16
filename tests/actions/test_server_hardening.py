"""The actions server as a real process: never unauthenticated by accident, parameters checked
against the action's signature (422 naming them), hostile bodies and half-sent requests
refused with JSON."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest

RUN = "/v1/actions/run"


def _run(server, name, params, **kwargs):
    return httpx.post(server.url + RUN, json={"action_name": name, "action_parameters": params},
                      headers=server.headers, timeout=10, **kwargs)


@pytest.mark.parametrize("name, params, words", [
    ("add", {"b": 1}, "missing required parameter(s) 'a'"),
    ("sync_upper", {}, "missing required parameter(s) 'text'"),
    ("add", {"a": 1, "b": 2, "c": 3}, "unexpected parameter(s) 'c'"),
    ("add", {"$1": 1, "$2": 2, "$3": 3}, "positional argument"),
])
def test_parameters_are_checked_against_the_signature(actions_server, name, params, words):
    response = _run(actions_server, name, params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "InvalidParameters" and words in error["message"]
    assert "it takes: " in error["message"] or "positional" in error["message"]


def test_fitting_parameters_still_run(actions_server):
    assert _run(actions_server, "add", {"a": 1, "b": 2}).json() == {"status": "success",
                                                                    "result": 3}
    assert _run(actions_server, "add", {"$1": 4, "$2": 5}).json()["result"] == 9


@pytest.mark.parametrize("body, words", [
    ('{"action_name": "echo", "action_parameters": {"value": ' + "[" * 100 + "]" * 100 + "}}",
     "nested more than"),
    ('{"action_name": "echo", "action_parameters": {"value": ' + "7" * 5000 + "}}", "digits"),
    ('{"action_name": "echo", "action_parameters": {"value": "\\ud800"}}', "lone surrogate"),
])
def test_hostile_bodies_are_400(actions_server, body, words):
    response = httpx.post(actions_server.url + RUN, content=body.encode(),
                          headers=actions_server.headers, timeout=10)
    assert response.status_code == 400 and words in response.json()["error"]["message"]


def test_without_a_token_one_is_made_and_printed(server_factory):
    server = server_factory(token=None)
    # The token is on stderr; reading it needs the process stopped (pipes), so first check
    # that requests without it are refused.
    assert _run(server, "add", {"a": 1, "b": 2}).status_code == 401
    output = server.stop()
    match = re.search(r"export DIALOG_RAILS_ACTIONS_TOKEN=(\S+)", output)
    assert match, output
    assert "--no-auth" in output and len(match.group(1)) >= 24


def test_the_printed_token_opens_the_server(tmp_path, unused_port):
    served = os.path.join(os.path.dirname(__file__), "served")
    environment = {k: v for k, v in os.environ.items() if k != "DIALOG_RAILS_ACTIONS_TOKEN"}
    process = subprocess.Popen(
        [sys.executable, "-m", "rails", "actions-server", "--config", served,
         "--port", str(unused_port), "--log-level", "warning"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=environment)
    try:
        token = None
        deadline = time.monotonic() + 30
        while token is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            found = re.search(r"export DIALOG_RAILS_ACTIONS_TOKEN=(\S+)", line)
            token = found.group(1) if found else None
        assert token
        url = f"http://127.0.0.1:{unused_port}"
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "/health", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        answer = httpx.post(url + RUN, json={"action_name": "add",
                                             "action_parameters": {"a": 2, "b": 3}},
                            headers={"authorization": f"Bearer {token}"}, timeout=10)
        assert answer.json() == {"status": "success", "result": 5}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_no_auth_is_an_explicit_opt_out_with_a_warning(server_factory):
    server = server_factory("--no-auth", token=None)
    assert _run(server, "add", {"a": 1, "b": 2}).json()["result"] == 3
    assert "warning: --no-auth" in server.stop()


def test_no_auth_and_a_token_contradict(tmp_path):
    done = subprocess.run([sys.executable, "-m", "rails", "actions-server", "--config",
                           str(tmp_path), "--no-auth", "--token", "x"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "contradicts" in done.stderr


def test_half_sent_requests_time_out_with_json(server_factory):
    server = server_factory("--body-timeout", "1")
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    try:
        sock.sendall(b"POST /v1/actions/run HTTP/1.1\r\nHost: x\r\ncontent-length: 50\r\n"
                     b"authorization: Bearer " + server.token.encode() + b"\r\n\r\n{")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    finally:
        sock.close()
    answer = b"".join(chunks)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "request_timeout"
