"""Interactive actions on the actions server (a real `dialog-rails actions-server` process):
their status events come back into the turn, asking the user there is a clear error, and an
Idempotency-Key is never run twice."""
from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import time

import httpx
import pytest

from rails import LLMRails, RailsConfig

TOKEN = "interaction-test-token"

SERVED_ACTIONS = """\
import os

from rails.actions import action, emit


@action()
async def slow_report(name: str, __event_emitter__=None):
    await __event_emitter__({"type": "status", "data": {"description": f"building {name}"}})
    await emit.status("built", done=True)
    with open(os.environ["REMOTE_LOG"], "a") as log:
        log.write(name + "\\n")
    return f"report {name}"


@action()
async def ask_remotely(__event_call__=None):
    return await __event_call__({"type": "input", "data": {"title": "Name?"}})
"""

CALLER_FLOWS = """\
define user ask for a report
  "make a report"

define user ask a question
  "ask me"

define flow report
  user ask for a report
  $r = execute slow_report(name="sales")
  bot say "$r"

define flow ask
  user ask a question
  $r = execute ask_remotely
  bot say "$r"
"""


@pytest.fixture
def remote(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "actions.py").write_text(SERVED_ACTIONS)
    log = tmp_path / "remote.log"
    log.write_text("")
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "rails", "actions-server", "--config", str(served), "--port",
         str(port), "--token", TOKEN, "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "REMOTE_LOG": str(log)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield url, log
    process.terminate()
    process.wait(timeout=10)


def _caller(tmp_path, url) -> LLMRails:
    folder = tmp_path / "caller"
    folder.mkdir()
    (folder / "config.yml").write_text(
        f"actions_server_url: {url}\nactions_server:\n  token: {TOKEN}\n"
        "rails:\n  dialog:\n    user_messages:\n      embeddings_only: true\n")
    (folder / "flows.co").write_text(CALLER_FLOWS)
    return LLMRails(RailsConfig.from_path(str(folder)))


def test_status_events_of_a_remote_action_reach_the_turn(remote, tmp_path):
    url, log = remote
    rails = _caller(tmp_path, url)
    seen = []
    message = rails.generate(messages=[{"role": "user", "content": "make a report"}],
                             on_ui_event=seen.append)
    assert message["content"] == "report sales"
    assert [event["data"]["description"] for event in seen] == ["building sales", "built"]
    assert message["ui_events"] == seen
    assert log.read_text() == "sales\n"


def test_asking_from_the_actions_server_is_a_clear_error(remote, tmp_path, caplog):
    url, _ = remote
    rails = _caller(tmp_path, url)
    with caplog.at_level("ERROR"):
        message = rails.generate(messages=[{"role": "user", "content": "ask me"}])
    assert "interaction" not in message
    assert "cannot ask the user" in caplog.text


def test_an_idempotency_key_runs_once(remote):
    url, log = remote
    body = {"action_name": "slow_report", "action_parameters": {"name": "q3"}}
    headers = {"authorization": f"Bearer {TOKEN}", "idempotency-key": "k-123"}

    def post(_):
        return httpx.post(url + "/v1/actions/run", json=body, headers=headers, timeout=10)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(post, range(4)))
    assert {r.status_code for r in replies} == {200}
    assert len({r.text for r in replies}) == 1
    assert replies[0].json()["result"] == "report q3"
    assert log.read_text() == "q3\n"
    other = httpx.post(url + "/v1/actions/run", headers=headers, timeout=10, json={
        "action_name": "slow_report", "action_parameters": {"name": "q4"}})
    assert other.status_code == 422 and "different request" in other.text
    fresh = httpx.post(url + "/v1/actions/run", json=body, timeout=10,
                       headers={**headers, "idempotency-key": "k-124"})
    assert fresh.status_code == 200
    assert log.read_text() == "q3\nq3\n"
