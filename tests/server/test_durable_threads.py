"""Conversations that survive: real `dialog-rails serve` processes on one SQLite file or one
real Redis continue every thread exactly as one long-lived process does (same replies, same
variables), after a restart, across worker processes and across separate servers; two turns
on one thread at once never lose an update."""
from __future__ import annotations

import concurrent.futures
import random
import secrets

import httpx
import pytest


# A counter whose variables live across turns, and an action that reads the event history.
DURABLE_CONFIG = {
    "config.yml": """\
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.99
      embeddings_only_fallback_intent: say something else
""",
    "flows.co": """\
define user start counting
  "start"

define user count up
  "more"

define user double it
  "double"

define user ask total
  "total"

define user count up slowly
  "slowly"

define bot report count
  "The count is $n."

define bot report total
  "The count is $n after $turns messages; it was doubled $doubled times."

define bot not started
  "Say start first."

define flow start
  user start counting
  $n = 0
  $doubled = 0
  bot report count

define flow count
  user count up
  $n = $n + 1
  bot report count

define flow double
  user double it
  $n = $n * 2
  $doubled = $doubled + 1
  bot report count

define flow total
  user ask total
  $turns = execute count_user_turns
  bot report total

define flow slow count
  user count up slowly
  execute pause
  $n = $n + 1
  bot report count
""",
    "actions.py": """\
import asyncio

from rails.actions import action


@action()
async def count_user_turns(events: list) -> int:
    return sum(1 for event in events if event["type"] == "UtteranceUserActionFinished")


@action()
async def pause() -> None:
    await asyncio.sleep(0.4)
""",
}

THREADS, TURNS = 20, 10
FALLBACK = "I'm sorry, an internal error has occurred."


def _script(thread: int) -> list[str]:
    """What thread number `thread` says: it starts, then counts, doubles and asks."""
    rng = random.Random(thread)
    return ["start"] + [rng.choice(["more", "more", "double", "total"])
                        for _ in range(TURNS - 1)]


def _expected(script: list[str]) -> list[str]:
    """What one long-lived process answers, worked out by hand."""
    replies, n, doubled = [], None, 0
    for turn, text in enumerate(script, start=1):
        if text == "start":
            n, doubled = 0, 0
        elif text == "more":
            n += 1
        elif text == "double":
            n, doubled = n * 2, doubled + 1
        if text == "total":
            replies.append(f"The count is {n} after {turn} messages; it was doubled "
                           f"{doubled} times.")
        else:
            replies.append(f"The count is {n}.")
    return replies


@pytest.fixture(scope="module")
def durable_configs(tmp_path_factory):
    root = tmp_path_factory.mktemp("durable")
    for name in ("counter", "other"):
        (root / name).mkdir()
        for file_name, text in DURABLE_CONFIG.items():
            (root / name / file_name).write_text(text)
    return root


def _say(base_url: str, thread_id: str, text: str, model: str = "counter") -> httpx.Response:
    # A new connection per request, so `--workers N` spreads the turns over its processes.
    return httpx.post(base_url + "/v1/chat/completions", timeout=60, json={
        "model": model, "thread_id": thread_id, "messages": [{"role": "user", "content": text}]})


def _reply(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]["content"]


def _transcripts(servers: list, prefix: str) -> dict[int, list[str]]:
    """THREADS conversations of TURNS turns, run side by side; turn k of every thread goes to
    server k % len(servers)."""
    threads = {number: f"{prefix}-{number:02d}-{secrets.token_hex(8)}"
               for number in range(THREADS)}
    scripts = {number: _script(number) for number in threads}
    replies: dict[int, list[str]] = {number: [] for number in threads}
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for turn in range(TURNS):
            server = servers[turn % len(servers)]
            futures = {number: pool.submit(_say, server.base_url, threads[number],
                                           scripts[number][turn]) for number in threads}
            for number, future in futures.items():
                replies[number].append(_reply(future.result()))
    return replies


def _one_process_transcripts(start, durable_configs, tmp_path) -> dict[int, list[str]]:
    server = start("--config-dir", str(durable_configs),
                   "--threads-db", str(tmp_path / "one.sqlite3"))
    try:
        return _transcripts([server], "one")
    finally:
        server.stop()


def test_the_hand_worked_transcripts_are_what_one_process_answers(
        durable_configs, server_factory, tmp_path):
    transcripts = _one_process_transcripts(server_factory, durable_configs, tmp_path)
    assert transcripts == {number: _expected(_script(number)) for number in range(THREADS)}


def test_a_restart_mid_conversation_continues_the_thread(durable_configs, server_factory,
                                                         tmp_path):
    args = ["--config-dir", str(durable_configs), "--threads-db", str(tmp_path / "t.sqlite3")]
    thread = "restart-" + secrets.token_hex(8)
    script = ["start", "more", "more", "double", "total", "more", "double", "total"]
    replies = []
    first = server_factory(*args)
    replies += [_reply(_say(first.base_url, thread, text)) for text in script[:4]]
    first.stop()
    second = server_factory(*args)  # a new process on the same file
    replies += [_reply(_say(second.base_url, thread, text)) for text in script[4:]]
    assert replies == _expected(script)
    assert replies[-1] == "The count is 10 after 8 messages; it was doubled 2 times."


def test_two_workers_on_one_sqlite_file_answer_as_one_process(durable_configs, server_factory,
                                                               tmp_path):
    server = server_factory("--config-dir", str(durable_configs), "--workers", "2",
                            "--threads-db", str(tmp_path / "w.sqlite3"))
    transcripts = _transcripts([server], "workers")
    assert transcripts == {number: _expected(_script(number)) for number in range(THREADS)}


def test_two_workers_and_two_servers_on_one_redis_answer_as_one_process(
        durable_configs, redis_server, server_factory, tmp_path):
    one_process = _one_process_transcripts(server_factory, durable_configs, tmp_path)
    common = ["--config-dir", str(durable_configs), "--redis-url", redis_server]
    first = server_factory(*common, "--workers", "2")
    second = server_factory(*common)
    # Every turn of every thread on the other server than the turn before.
    transcripts = _transcripts([first, second], "redis")
    assert transcripts == one_process


def test_two_turns_at_once_on_one_thread_in_two_processes_lose_no_update(
        durable_configs, server_factory, tmp_path):
    args = ["--config-dir", str(durable_configs), "--threads-db", str(tmp_path / "c.sqlite3")]
    servers = [server_factory(*args), server_factory(*args)]
    thread = "race-" + secrets.token_hex(8)
    assert _reply(_say(servers[0].base_url, thread, "start")) == "The count is 0."
    outcomes = []
    for _ in range(3):
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            outcomes += list(pool.map(
                lambda server: _say(server.base_url, thread, "slowly"), servers))
    accepted = [r for r in outcomes if r.status_code == 200]
    refused = [r for r in outcomes if r.status_code != 200]
    assert refused, "the slow turns never overlapped"
    for response in refused:
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "thread_conflict" and thread in error["message"]
    # Every accepted turn counted on top of the one before: none was lost.
    counts = sorted(int(_reply(r).split()[-1].rstrip(".")) for r in accepted)
    assert counts == list(range(1, len(accepted) + 1))
    total = _reply(_say(servers[1].base_url, thread, "total"))
    assert total == (f"The count is {len(accepted)} after {len(accepted) + 2} messages; "
                     "it was doubled 0 times.")


def test_a_thread_belongs_to_its_config(durable_configs, server_factory, tmp_path):
    server = server_factory("--config-dir", str(durable_configs),
                            "--threads-db", str(tmp_path / "b.sqlite3"))
    thread = "owned-" + secrets.token_hex(8)
    assert _reply(_say(server.base_url, thread, "start")) == "The count is 0."
    other = _say(server.base_url, thread, "more", model="other")
    assert other.status_code == 409
    error = other.json()["error"]
    assert error["code"] == "thread_config_mismatch"
    assert "belongs to config 'counter'" in error["message"]
    assert _reply(_say(server.base_url, thread, "more")) == "The count is 1."


def test_a_missing_variable_is_the_fallback_answer_not_a_500(durable_configs, server_factory,
                                                              tmp_path):
    server = server_factory("--config-dir", str(durable_configs),
                            "--threads-db", str(tmp_path / "m.sqlite3"))
    response = httpx.post(server.base_url + "/v1/chat/completions", timeout=60, json={
        "model": "counter", "messages": [
            {"role": "user", "content": "start"},
            {"role": "assistant", "content": "The count is 0."},
            {"role": "user", "content": "more"}]})
    assert _reply(response) == FALLBACK
    error = response.json()["log"]["errors"][0]
    assert "$n + 1" in error["message"] and "NoneType" in error["message"]


def test_a_state_kept_by_the_client_is_signed_by_the_server(durable_configs, server_factory,
                                                             tmp_path):
    shared = ["--config-dir", str(durable_configs), "--threads-db", str(tmp_path / "s.sqlite3")]
    first, second = server_factory(*shared), server_factory(*shared)  # one key file
    foreign = server_factory("--config-dir", str(durable_configs),
                             "--threads-db", str(tmp_path / "elsewhere.sqlite3"))

    def ask(server, text, state, model="counter"):
        return httpx.post(server.base_url + "/v1/chat/completions", timeout=60, json={
            "model": model, "state": state, "messages": [{"role": "user", "content": text}]})

    started = ask(first, "start", {})
    assert _reply(started) == "The count is 0."
    state = started.json()["state"]
    assert set(state) == {"format", "data", "signature"}
    moved_on = ask(second, "more", state)  # another process continues it
    assert _reply(moved_on) == "The count is 1."
    state = moved_on.json()["state"]
    assert _reply(ask(first, "more", state)) == "The count is 2."

    forged = {"events": [{"type": "ContextUpdate", "data": {"n": 100}}]}
    altered = {**state, "data": state["data"][:-8] + ("A" if state["data"][-8] != "A" else "B")
               + state["data"][-7:]}
    for bad, words in ((forged, "not a state signed by this server"),
                       (altered, "invalid signature"), (state, "invalid signature")):
        response = ask(foreign if bad is state else first, "more", bad)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_state" and error["param"] == "state"
        assert words in error["message"]
    other = ask(first, "more", state, model="other")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "state_config_mismatch"
    # The refused requests changed nothing: the same state still continues from 1.
    assert _reply(ask(second, "more", state)) == "The count is 2."
