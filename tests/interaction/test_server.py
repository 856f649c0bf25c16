"""Interactive actions over HTTP: `dialog-rails serve` as a real process, driven by the
official `openai` client (whose ordinary use must keep working) and by httpx for the click,
answer and thread endpoints."""
from __future__ import annotations

import concurrent.futures
import json
import secrets

import httpx
import openai
import pytest


def _thread() -> str:
    return "thread-" + secrets.token_hex(10)


def _client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key="x", max_retries=0,
                         timeout=30)


@pytest.fixture
def server(shared_server):
    return shared_server


def _charges(server) -> list[str]:
    return server.log.read_text().splitlines()


def _chat(server, thread: str, text: str, model: str = "confirm") -> dict:
    response = httpx.post(server.base_url + "/v1/chat/completions", json={
        "model": model, "thread_id": thread,
        "messages": [{"role": "user", "content": text}]}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_openai_client_sees_buttons_and_clicks_answer_like_completions(server):
    client, thread = _client(server), _thread()
    completion = client.chat.completions.create(
        model="confirm", messages=[{"role": "user", "content": "delete my data"}],
        extra_body={"thread_id": thread})
    message = completion.choices[0].message
    assert message.content == "Are you sure you want to delete your data?"
    buttons = message.model_extra["buttons"]
    assert [b["label"] for b in buttons] == ["Confirm Deletion", "Cancel"]
    assert all("payload" not in b for b in buttons)  # the payload stays on the server

    thread_view = httpx.get(f"{server.base_url}/v1/threads/{thread}").json()
    assert thread_view["config_id"] == "confirm"
    assert [b["id"] for b in thread_view["buttons"]] == [b["id"] for b in buttons]
    assert thread_view["interaction"] is None
    assert [m["role"] for m in thread_view["messages"]] == ["user", "assistant"]

    click = httpx.post(f"{server.base_url}/v1/threads/{thread}/clicks",
                       json={"button_id": buttons[0]["id"]})
    assert click.status_code == 200, click.text
    body = click.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == \
        "Okay, deleting 'important_data.txt' for user123... (Not really!)"
    # The callback removed both buttons: the thread has none left, and the other one is gone.
    assert httpx.get(f"{server.base_url}/v1/threads/{thread}").json()["buttons"] == []
    again = httpx.post(f"{server.base_url}/v1/threads/{thread}/clicks",
                       json={"button_id": buttons[1]["id"]})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "button_unavailable"
    # The conversation goes on with the click's answer in its history.
    later = client.chat.completions.create(
        model="confirm", messages=[{"role": "user", "content": "hello"}],
        extra_body={"thread_id": thread})
    assert later.choices[0].message.content.startswith("Hello!")
    history = httpx.get(f"{server.base_url}/v1/threads/{thread}").json()["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "assistant", "user",
                                            "assistant"]


def test_plain_openai_usage_is_unchanged_streaming_included(server):
    client = _client(server)
    completion = client.chat.completions.create(
        model="confirm", messages=[{"role": "user", "content": "hello"}])
    assert completion.choices[0].message.content.startswith("Hello!")
    assert "buttons" not in (completion.choices[0].message.model_extra or {})
    # A streamed turn that has buttons: the UI events do not disturb the client.
    chunks = list(client.chat.completions.create(
        model="confirm", stream=True, messages=[{"role": "user", "content": "delete my data"}],
        extra_body={"thread_id": _thread()}))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text == "Are you sure you want to delete your data?"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_stream_sends_ui_events_as_named_sse_events(server):
    thread = _thread()
    with httpx.stream("POST", server.base_url + "/v1/chat/completions", json={
            "model": "charge", "stream": True, "thread_id": thread,
            "messages": [{"role": "user", "content": "pay my bill"}]}, timeout=30) as response:
        raw = response.read().decode()
    blocks = [block for block in raw.split("\n\n") if block.strip()]
    ui = [json.loads(block.split("data: ", 1)[1]) for block in blocks
          if block.startswith("event: rails.ui")]
    assert [event["type"] for event in ui] == ["status", "interaction"]
    assert ui[0]["data"]["description"] == "waiting for the customer"
    question = ui[1]["data"]
    assert question["type"] == "confirmation" and question["message"] == "Charge 42 EUR?"
    assert blocks[-1] == "data: [DONE]"
    # The question is the thread's, so it can be answered over HTTP.
    shown = httpx.get(f"{server.base_url}/v1/threads/{thread}").json()
    assert shown["interaction"]["id"] == question["id"]
    answer = httpx.post(f"{server.base_url}/v1/threads/{thread}/answers",
                        json={"interaction_id": question["id"], "value": True})
    assert answer.json()["choices"][0]["message"]["content"] == "Result: charged 42"
    assert _charges(server)[-2:] == ["reserved 42", "charged 42"]


def test_answer_resumes_the_action_and_bad_answers_are_refused(server):
    thread = _thread()
    first = _chat(server, thread, "append a note", model="note")
    message = first["choices"][0]["message"]
    question = message["interaction"]
    assert question["type"] == "input" and question["title"] == "Write a message"
    base = f"{server.base_url}/v1/threads/{thread}"

    too_long = httpx.post(base + "/answers", json={"interaction_id": question["id"],
                                                   "value": "x" * 10_001})
    assert too_long.status_code == 413
    assert too_long.json()["error"]["code"] == "answer_too_large"
    wrong_type = httpx.post(base + "/answers", json={"interaction_id": question["id"],
                                                     "value": 12})
    assert wrong_type.status_code == 400
    unknown = httpx.post(base + "/answers", json={"interaction_id": "q_nope", "value": "x"})
    assert unknown.status_code == 404
    other_thread = httpx.post(f"{server.base_url}/v1/threads/{_thread()}/answers",
                              json={"interaction_id": question["id"], "value": "x"})
    assert other_thread.status_code == 404
    missing = httpx.post(base + "/answers", json={"interaction_id": question["id"]})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "value"

    answered = httpx.post(base + "/answers", json={"interaction_id": question["id"],
                                                   "value": "buy milk"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["choices"][0]["message"]["content"] == "Noted: buy milk"
    twice = httpx.post(base + "/answers", json={"interaction_id": question["id"],
                                                "value": "buy bread"})
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "interaction_closed"
    assert httpx.get(base).json()["interaction"] is None


def test_button_errors(server):
    thread, other = _thread(), _thread()
    buttons = _chat(server, thread, "delete my data")["choices"][0]["message"]["buttons"]
    _chat(server, other, "hello")
    unknown = httpx.post(f"{server.base_url}/v1/threads/{thread}/clicks",
                         json={"button_id": "btn_unknown"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "button_not_found"
    foreign = httpx.post(f"{server.base_url}/v1/threads/{other}/clicks",
                         json={"button_id": buttons[0]["id"]})
    assert foreign.status_code == 404
    not_json = httpx.post(f"{server.base_url}/v1/threads/{thread}/clicks", content=b"{",
                          headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    no_id = httpx.post(f"{server.base_url}/v1/threads/{thread}/clicks", json={})
    assert no_id.status_code == 400 and no_id.json()["error"]["param"] == "button_id"
    # None of that used the buttons: they still work.
    ok = httpx.post(f"{server.base_url}/v1/threads/{thread}/clicks",
                    json={"button_id": buttons[1]["id"]})
    assert ok.json()["choices"][0]["message"]["content"] == "Deletion cancelled."
    assert httpx.get(f"{server.base_url}/v1/threads/nonexistent-thread-id").status_code == 404


def test_two_answers_at_once_run_the_action_once(server):
    thread, before = _thread(), len(_charges(server))
    question = _chat(server, thread, "pay my bill", model="charge")[
        "choices"][0]["message"]["interaction"]
    url = f"{server.base_url}/v1/threads/{thread}/answers"

    def answer(_):
        return httpx.post(url, json={"interaction_id": question["id"], "value": True},
                          timeout=30)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(answer, range(4)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409, 409, 409], [r.text for r in responses]
    assert _charges(server)[before:] == ["reserved 42", "charged 42"]


def test_idempotency_key_replays_the_first_reply(server):
    thread = _thread()
    buttons = _chat(server, thread, "delete my data")["choices"][0]["message"]["buttons"]
    url = f"{server.base_url}/v1/threads/{thread}/clicks"
    headers = {"Idempotency-Key": "click-1"}
    first = httpx.post(url, json={"button_id": buttons[0]["id"]}, headers=headers)
    retry = httpx.post(url, json={"button_id": buttons[0]["id"]}, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    history = httpx.get(f"{server.base_url}/v1/threads/{thread}").json()["messages"]
    assert len(history) == 3  # the retried click added nothing


def test_colang_only_buttons_over_http(server):
    thread = _thread()
    message = _chat(server, thread, "I want a shirt", model="shirts")["choices"][0]["message"]
    assert [b["label"] for b in message["buttons"]] == ["Small", "Large"]
    click = httpx.post(f"{server.base_url}/v1/threads/{thread}/clicks",
                       json={"button_id": message["buttons"][0]["id"]})
    assert click.json()["choices"][0]["message"]["content"] == "Size S it is."


def test_a_turn_without_thread_gets_one_for_its_buttons(server):
    response = httpx.post(server.base_url + "/v1/chat/completions", json={
        "model": "confirm", "messages": [{"role": "user", "content": "delete my data"}]})
    body = response.json()
    thread = body["thread_id"]
    button = body["choices"][0]["message"]["buttons"][1]
    click = httpx.post(f"{server.base_url}/v1/threads/{thread}/clicks",
                       json={"button_id": button["id"]})
    assert click.json()["choices"][0]["message"]["content"] == "Deletion cancelled."
