"""Faults against `dialog-rails serve` as a real process: a blocking action stalls nobody else,
an action raising SystemExit is that action's failure (a JSON answer, never a plain-text 500),
and a client that disconnects cancels its turn's work.

Timing: the deadline asserted ("answers within 100 ms while another action sleeps") is checked
with a generous bound of 1 s, since this machine is shared; a stalled loop would take the whole
30 s sleep, so the bound still tells the two apart."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.server_processes import ServerProcess

YAML = """\
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.99
      embeddings_only_fallback_intent: say other
"""

FLOWS = """\
define user say sleep
  "sleep on the loop"

define user say wait
  "wait politely"

define user say exit
  "exit the process"

define user say interrupt
  "interrupt the process"

define user say other
  "something else"

define bot say done
  "done: $result"

define flow sleeper
  user say sleep
  $result = execute blocking_sleep
  bot say done

define flow waiter
  user say wait
  $result = execute polite_wait
  bot say done

define flow exiter
  user say exit
  $result = execute call_exit
  bot say done

define flow interrupter
  user say interrupt
  $result = execute call_interrupt
  bot say done

define flow other
  user say other
  $result = execute quick
  bot say done
"""

ACTIONS = """\
import asyncio
import sys
import time
from pathlib import Path

from rails.actions import action

MARKS = Path({marks!r})


def mark(text):
    with MARKS.open("a") as file:
        file.write(text + "\\n")


@action()
def blocking_sleep():
    mark("sleeping")
    time.sleep(30)
    return "woke"


@action()
async def polite_wait():
    mark("waiting")
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        mark("cancelled")
        raise
    return "waited"


@action()
def call_exit():
    sys.exit(3)


@action()
async def call_interrupt():
    raise KeyboardInterrupt()


@action()
async def quick():
    return "quick"
"""


@pytest.fixture
def faults_server(write_config, tmp_path):
    marks = tmp_path / "marks.txt"
    marks.touch()
    root = tmp_path / "configs"
    write_config({"faults/config.yml": YAML, "faults/flows.co": FLOWS,
                  "faults/actions.py": ACTIONS.format(marks=str(marks))}, name="configs")
    server = ServerProcess(["--config-dir", str(root)]).start()
    try:
        yield server, marks
    finally:
        server.stop()


def _chat(server, text: str, **kwargs) -> httpx.Response:
    return httpx.post(server.base_url + "/v1/chat/completions", json={
        "model": "faults", "messages": [{"role": "user", "content": text}], **kwargs},
        timeout=kwargs.pop("timeout", 30))


def _wait_for_mark(marks: Path, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in marks.read_text().split():
            return
        time.sleep(0.02)
    raise AssertionError(f"no {text!r} in {marks.read_text()!r}")


def test_a_sleeping_sync_action_stalls_neither_health_nor_other_conversations(faults_server):
    server, marks = faults_server
    _chat(server, "something else")  # the config is loaded before the clock matters
    sleeper = threading.Thread(target=lambda: _safe_chat(server, "sleep on the loop"),
                               daemon=True)
    sleeper.start()
    _wait_for_mark(marks, "sleeping")  # the action is now in its 30 s sleep

    started = time.monotonic()
    health = httpx.get(server.base_url + "/health", timeout=10)
    health_took = time.monotonic() - started
    started = time.monotonic()
    other = _chat(server, "something else", timeout=10)
    other_took = time.monotonic() - started

    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert other.status_code == 200
    assert other.json()["choices"][0]["message"]["content"] == "done: quick"
    # Target 100 ms; 1 s is generous for a shared machine, and far below the 30 s stall.
    assert health_took < 1.0, health_took
    assert other_took < 1.0, other_took


def _safe_chat(server, text: str) -> None:
    try:
        _chat(server, text, timeout=2)
    except httpx.HTTPError:
        pass  # the client gives up; the server goes on without it


@pytest.mark.parametrize("text, raised", [("exit the process", "SystemExit"),
                                          ("interrupt the process", "KeyboardInterrupt")])
def test_system_exit_in_an_action_is_a_json_answer_and_the_server_stays_up(
        faults_server, text, raised):
    server, _ = faults_server
    answer = _chat(server, text)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["choices"][0]["message"]["content"] == "I'm sorry, an internal error has occurred."
    assert any(f"raised {raised}" in error["message"] for error in body["log"]["errors"])
    # Still serving, on the same process.
    assert _chat(server, "something else").json()["choices"][0]["message"]["content"] == \
        "done: quick"
    assert server.process.poll() is None


@pytest.mark.parametrize("stream", [False, True])
def test_a_client_that_disconnects_cancels_its_turn(faults_server, stream):
    server, marks = faults_server
    _chat(server, "something else")  # loaded: the read timeout below falls inside the turn
    with pytest.raises(httpx.ReadTimeout):
        # Streaming sends its first chunk at once; the read timeout hits while waiting for
        # the rest. Either way the client then closes the connection.
        with httpx.Client(timeout=httpx.Timeout(10, read=1.0)) as client:
            with client.stream("POST", server.base_url + "/v1/chat/completions", json={
                    "model": "faults", "stream": stream,
                    "messages": [{"role": "user", "content": "wait politely"}]}) as response:
                for _ in response.iter_bytes():
                    pass
    _wait_for_mark(marks, "waiting")
    _wait_for_mark(marks, "cancelled", timeout=10)  # not after the action's 30 s
    assert _chat(server, "something else").status_code == 200


@pytest.mark.parametrize("raised", [SystemExit(2), KeyboardInterrupt(), GeneratorExit()])
async def test_anything_that_escapes_the_engine_is_a_json_500(echo_app, raised):
    # A stand-in engine that raises what no handler of Starlette's catches.
    app = await echo_app("cfg", per_config={"cfg": {"fail_with": raised}})
    answer = await app.chat(model="cfg")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert error["type"] == "internal_error" and type(raised).__name__ in error["message"]
    # The next request is served as usual.
    assert (await app.client.get("/health")).json() == {"status": "ok"}
