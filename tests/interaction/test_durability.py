"""Questions and buttons outlive the process that made them: a server restarted while a
question is pending (SQLite), and two servers sharing a real Redis, take the answer or the
click and resume the action; its side effects (counted in a file, outside any process) run
once."""
from __future__ import annotations

import secrets

import httpx


def _thread() -> str:
    return "durable-" + secrets.token_hex(10)


def _chat(server, thread: str, text: str, model: str) -> dict:
    response = httpx.post(server.base_url + "/v1/chat/completions", json={
        "model": model, "thread_id": thread, "messages": [{"role": "user", "content": text}]},
        timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]


def test_restart_mid_question_with_sqlite(start_server, served_configs, tmp_path):
    root, log = served_configs
    args = ("--config-dir", str(root), "--threads-db", str(tmp_path / "threads.sqlite3"),
            "--default-config", "confirm")
    env = {"CHARGE_LOG": str(log)}
    first = start_server(*args, env=env)
    thread = _thread()
    question = _chat(first, thread, "pay my bill", "charge")["interaction"]
    assert log.read_text().splitlines() == ["reserved 42"]
    first.stop()

    second = start_server(*args, env=env)
    shown = httpx.get(f"{second.base_url}/v1/threads/{thread}").json()
    assert shown["interaction"]["id"] == question["id"]
    answer = httpx.post(f"{second.base_url}/v1/threads/{thread}/answers",
                        json={"interaction_id": question["id"], "value": True}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["message"]["content"] == "Result: charged 42"
    # The step before the question was not repeated by the replay; the charge ran once.
    assert log.read_text().splitlines() == ["reserved 42", "charged 42"]
    again = httpx.post(f"{second.base_url}/v1/threads/{thread}/answers",
                       json={"interaction_id": question["id"], "value": True})
    assert again.status_code == 409
    assert log.read_text().splitlines() == ["reserved 42", "charged 42"]
    # The thread holds the whole exchange.
    history = httpx.get(f"{second.base_url}/v1/threads/{thread}").json()["messages"]
    assert [m["content"] for m in history] == ["pay my bill", "", "Result: charged 42"]
    assert history[1]["interaction"]["id"] == question["id"]


def test_buttons_survive_a_restart(start_server, served_configs, tmp_path):
    root, log = served_configs
    args = ("--config-dir", str(root), "--threads-db", str(tmp_path / "threads.sqlite3"),
            "--default-config", "confirm")
    first = start_server(*args)
    thread = _thread()
    buttons = _chat(first, thread, "delete my data", "confirm")["buttons"]
    first.stop()
    second = start_server(*args)
    click = httpx.post(f"{second.base_url}/v1/threads/{thread}/clicks",
                       json={"button_id": buttons[0]["id"]}, timeout=30)
    assert click.status_code == 200, click.text
    assert "deleting 'important_data.txt'" in click.json()["choices"][0]["message"]["content"]
    other = httpx.post(f"{second.base_url}/v1/threads/{thread}/clicks",
                       json={"button_id": buttons[1]["id"]})
    assert other.status_code == 409


def test_two_workers_on_redis(start_server, served_configs, redis_url):
    root, log = served_configs
    args = ("--config-dir", str(root), "--redis-url", redis_url, "--default-config", "confirm")
    env = {"CHARGE_LOG": str(log)}
    a, b = start_server(*args, env=env), start_server(*args, env=env)
    thread = _thread()
    question = _chat(a, thread, "pay my bill", "charge")["interaction"]
    # The other worker sees the pending question, takes the answer and resumes the action.
    assert httpx.get(f"{b.base_url}/v1/threads/{thread}").json()["interaction"]["id"] == \
        question["id"]
    answer = httpx.post(f"{b.base_url}/v1/threads/{thread}/answers",
                        json={"interaction_id": question["id"], "value": True}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["message"]["content"] == "Result: charged 42"
    late = httpx.post(f"{a.base_url}/v1/threads/{thread}/answers",
                      json={"interaction_id": question["id"], "value": True})
    assert late.status_code == 409
    assert log.read_text().splitlines() == ["reserved 42", "charged 42"]

    # Racing answers on both workers: exactly one wins.
    import concurrent.futures

    thread = _thread()
    question = _chat(a, thread, "charge my card", "charge")["interaction"]

    def answer_on(server):
        return httpx.post(f"{server.base_url}/v1/threads/{thread}/answers",
                          json={"interaction_id": question["id"], "value": True}, timeout=30)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = sorted(r.status_code for r in pool.map(answer_on, [a, b, a, b]))
    assert statuses == [200, 409, 409, 409]
    assert log.read_text().splitlines()[2:] == ["reserved 42", "charged 42"]

    # A button made on one worker is clicked on the other.
    thread = _thread()
    buttons = _chat(a, thread, "delete my data", "confirm")["buttons"]
    click = httpx.post(f"{b.base_url}/v1/threads/{thread}/clicks",
                       json={"button_id": buttons[1]["id"]}, timeout=30)
    assert click.json()["choices"][0]["message"]["content"] == "Deletion cancelled."
    assert httpx.post(f"{a.base_url}/v1/threads/{thread}/clicks",
                      json={"button_id": buttons[0]["id"]}).status_code == 409


def test_timed_out_question_resumes_with_timeout(start_server, served_configs, tmp_path):
    root, log = served_configs
    charge = root / "charge" / "config.yml"
    charge.write_text(charge.read_text().replace("question_timeout: 60",
                                                 "question_timeout: 1"))
    server = start_server("--config-dir", str(root), "--threads-db",
                          str(tmp_path / "threads.sqlite3"), "--default-config", "confirm",
                          env={"CHARGE_LOG": str(log)})
    thread = _thread()
    question = _chat(server, thread, "pay my bill", "charge")["interaction"]
    assert question["timeout_s"] == 1
    import time

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        history = httpx.get(f"{server.base_url}/v1/threads/{thread}").json()["messages"]
        if len(history) == 3:
            break
        time.sleep(0.2)
    assert history[-1]["content"] == "Result: not charged (timeout)"
    late = httpx.post(f"{server.base_url}/v1/threads/{thread}/answers",
                      json={"interaction_id": question["id"], "value": True})
    assert late.status_code == 409  # already resolved by the timeout
    assert log.read_text().splitlines() == ["reserved 42"]
