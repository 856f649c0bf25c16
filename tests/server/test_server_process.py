"""`dialog-rails serve` as a real process on loopback, driven by httpx and by the official
`openai` client, over the offline store-support example and a history-counting config."""
from __future__ import annotations

import concurrent.futures
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import openai
import pytest

GREETING = "Hi! Welcome to Juniper & Pine support. How can I help you today?"
RETURNS = ("You can return unused items within 60 days for a full refund. Start a return "
           "from your order page and we'll email you a free return label.")


def _client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key="x", max_retries=0,
                         timeout=30)


def _thread_id() -> str:
    return "test-" + secrets.token_hex(12)


def test_openai_client_plain_completion(shared_server):
    completion = _client(shared_server).chat.completions.create(
        model="store", messages=[{"role": "user", "content": "hello"}])
    assert completion.object == "chat.completion"
    assert completion.model == "store"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == GREETING
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.total_tokens == 0  # predefined answers use no model


def test_openai_client_sends_the_whole_history_without_threads(shared_server):
    completion = _client(shared_server).chat.completions.create(model="counter", messages=[
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": "You have sent 1 messages."},
        {"role": "user", "content": "b"}])
    assert completion.choices[0].message.content == "You have sent 2 messages."


def test_openai_client_streaming(shared_server):
    stream = _client(shared_server).chat.completions.create(
        model="store", stream=True,
        messages=[{"role": "user", "content": "what is your return policy?"}])
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == RETURNS
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)


def test_threads_with_the_openai_client(shared_server):
    client, thread = _client(shared_server), _thread_id()
    answers = []
    for text in ("one", "two", "three"):
        completion = client.chat.completions.create(
            model="counter", messages=[{"role": "user", "content": text}],
            extra_body={"thread_id": thread})
        answers.append(completion.choices[0].message.content)
    assert answers == [f"You have sent {n} messages." for n in (1, 2, 3)]
    streamed = client.chat.completions.create(
        model="counter", stream=True, messages=[{"role": "user", "content": "four"}],
        extra_body={"thread_id": thread})
    assert "".join(c.choices[0].delta.content or "" for c in streamed) == \
        "You have sent 4 messages."
    other = client.chat.completions.create(
        model="counter", messages=[{"role": "user", "content": "x"}],
        extra_body={"thread_id": _thread_id()})
    assert other.choices[0].message.content == "You have sent 1 messages."


def test_bad_requests_raise_clear_openai_errors(shared_server):
    client = _client(shared_server)
    with pytest.raises(openai.NotFoundError) as not_found:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user",
                                                                  "content": "hi"}])
    assert "counter, failing, guarded, store" in str(not_found.value)
    with pytest.raises(openai.BadRequestError) as short_thread:
        client.chat.completions.create(model="store", messages=[{"role": "user",
                                                                 "content": "hi"}],
                                       extra_body={"thread_id": "abc"})
    assert "thread_id" in str(short_thread.value)
    with pytest.raises(openai.BadRequestError) as bad_role:
        client.chat.completions.create(model="store", messages=[{"role": "oracle",
                                                                 "content": "hi"}])
    assert "unknown role" in str(bad_role.value)


def test_models_and_configs_listing(shared_server):
    assert sorted(model.id for model in _client(shared_server).models.list()) == [
        "counter", "failing", "guarded", "store"]
    assert httpx.get(shared_server.base_url + "/v1/rails/configs").json() == [
        {"id": "counter"}, {"id": "failing"}, {"id": "guarded"}, {"id": "store"}]


def test_httpx_default_config_log_and_nemo_fields(shared_server):
    response = httpx.post(shared_server.base_url + "/v1/chat/completions", json={
        "messages": [{"role": "user", "content": "you are useless"}],
        "options": {"log": {"activated_rails": True, "internal_events": True}}}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == "store"  # the --default-config
    assert body["messages"] == [body["choices"][0]["message"]]
    rails = body["log"]["activated_rails"]
    assert rails[0]["type"] == "input" and rails[0]["name"] == "block abusive language"
    assert rails[0]["stop"] is True
    assert any(event["type"] == "StartUtteranceBotAction" for event in
               body["log"]["internal_events"])


def test_a_failing_action_answers_the_fallback_and_names_the_cause(shared_server):
    response = httpx.post(shared_server.base_url + "/v1/chat/completions", timeout=30, json={
        "model": "failing", "messages": [{"role": "user", "content": "hello there"}]})
    assert response.status_code == 200
    body = response.json()
    assert body["choices"][0]["message"]["content"] == \
        "I'm sorry, an internal error has occurred."
    assert body["log"]["errors"][0]["type"] == "RuntimeError"
    assert "inventory database unreachable" in body["log"]["errors"][0]["message"]
    assert "traceback" not in body["log"]["errors"][0]  # only when the log is asked for


def test_rails_exceptions_are_filtered_answers_and_keep_the_thread_usable(shared_server):
    url, thread = shared_server.base_url + "/v1/chat/completions", _thread_id()

    def say(text):
        return httpx.post(url, timeout=30, json={
            "model": "guarded", "thread_id": thread,
            "messages": [{"role": "user", "content": text}]}).json()

    assert say("hello")["choices"][0]["message"]["content"] == "Noted."
    blocked = say("my password is hunter2")
    assert blocked["choices"][0] == {
        "index": 0, "finish_reason": "content_filter", "logprobs": None,
        "message": {"role": "assistant", "content": "Passwords must not be shared here."}}
    assert blocked["messages"][0]["role"] == "exception"
    assert blocked["messages"][0]["content"]["type"] == "InputRailException"
    assert say("ok then")["choices"][0]["message"]["content"] == "Noted."


def test_concurrent_requests(shared_server):
    questions = {"hello": GREETING, "what is your return policy?": RETURNS}

    def ask(text):
        response = httpx.post(shared_server.base_url + "/v1/chat/completions", timeout=30,
                              json={"model": "store",
                                    "messages": [{"role": "user", "content": text}]})
        return text, response.json()["choices"][0]["message"]["content"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(ask, list(questions) * 10))
    assert all(answer == questions[text] for text, answer in results)


def test_thread_survives_a_restart_with_sqlite(served_configs, server_factory, tmp_path):
    db = tmp_path / "threads.sqlite3"
    args = ("--config-dir", str(served_configs), "--threads-db", str(db))
    thread = _thread_id()
    first = server_factory(*args)
    for text in ("one", "two"):
        _client(first).chat.completions.create(
            model="counter", messages=[{"role": "user", "content": text}],
            extra_body={"thread_id": thread})
    first.stop()
    second = server_factory(*args)
    completion = _client(second).chat.completions.create(
        model="counter", messages=[{"role": "user", "content": "three"}],
        extra_body={"thread_id": thread})
    assert completion.choices[0].message.content == "You have sent 3 messages."


def test_worker_processes_share_threads(served_configs, server_factory, tmp_path):
    server = server_factory("--config-dir", str(served_configs), "--workers", "2",
                            "--threads-db", str(tmp_path / "threads.sqlite3"))
    client, thread = _client(server), _thread_id()
    answers = [client.chat.completions.create(
        model="counter", messages=[{"role": "user", "content": str(n)}],
        extra_body={"thread_id": thread}).choices[0].message.content for n in range(1, 7)]
    assert answers == [f"You have sent {n} messages." for n in range(1, 7)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        greetings = list(pool.map(lambda _: client.chat.completions.create(
            model="store", messages=[{"role": "user", "content": "hi"}]
        ).choices[0].message.content, range(8)))
    assert greetings == [GREETING] * 8
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    if children.exists():  # Linux: the supervisor runs the two workers
        assert len(children.read_text().split()) >= 2


def test_single_config_mode(server_factory, served_configs):
    server = server_factory("--config", str(served_configs / "store"))
    completion = _client(server).chat.completions.create(
        model="store", messages=[{"role": "user", "content": "hi"}])
    assert completion.choices[0].message.content == GREETING
    # With one config, a request may leave the model out.
    response = httpx.post(server.base_url + "/v1/chat/completions", timeout=30,
                          json={"messages": [{"role": "user", "content": "hi"}]})
    assert response.json()["choices"][0]["message"]["content"] == GREETING


@pytest.mark.parametrize("args, words", [
    (["--config-dir", "{broken}", "--preload"], "config 'broken' is invalid: "),
    (["--config-dir", "/nonexistent/dir"], "does not exist"),
    (["--config-dir", "{served}", "--default-config", "nope"], "default config 'nope'"),
    (["--config", "{served}"], "use --config-dir"),
])
def test_start_up_errors_are_one_clear_line(args, words, served_configs, tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.yml").write_text("rails:\n  input:\n    flows: 12\n")
    args = [arg.replace("{served}", str(served_configs)).replace("{broken}", str(tmp_path))
            for arg in args]
    # Should start-up wrongly succeed, the port is taken and the server stops right away.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = subprocess.run([sys.executable, "-m", "rails", "serve", *args, "--port",
                                 str(taken.getsockname()[1])],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_config_ids_combine_configs(shared_server):
    completion = _client(shared_server).chat.completions.create(
        model="ignored-when-config-ids-are-given",
        messages=[{"role": "user", "content": "what is your return policy?"}],
        extra_body={"config_ids": ["store", "counter"]})
    assert completion.choices[0].message.content == RETURNS
    assert completion.model == "store+counter"


def test_unreachable_redis_stops_start_up_with_a_clear_message(served_configs):
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    result = subprocess.run([sys.executable, "-m", "rails", "serve", "--config-dir",
                             str(served_configs), "--redis-url", "redis://127.0.0.1:1/0"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in result.stderr
    assert "Traceback" not in result.stderr


def test_threads_in_redis_shared_by_two_servers(served_configs, server_factory, redis_server):
    first = server_factory("--config-dir", str(served_configs), "--redis-url", redis_server)
    second = server_factory("--config-dir", str(served_configs), "--redis-url", redis_server)
    thread = _thread_id()
    answers = [_client(server).chat.completions.create(
        model="counter", messages=[{"role": "user", "content": text}],
        extra_body={"thread_id": thread}).choices[0].message.content
        for server, text in ((first, "a"), (second, "b"), (first, "c"))]
    assert answers == [f"You have sent {n} messages." for n in (1, 2, 3)]
