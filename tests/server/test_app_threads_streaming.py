"""Threads (history kept by the server) and SSE streaming, in-process with stand-in rails."""
from __future__ import annotations

import asyncio
import json

THREAD = "thread-0123456789abcdef"


def _sse_payloads(text: str) -> list:
    assert text.endswith("\n\n")
    payloads = []
    for block in text.strip().split("\n\n"):
        assert block.startswith("data: "), block
        data = block[len("data: "):]
        payloads.append(data if data == "[DONE]" else json.loads(data))
    return payloads


async def test_thread_keeps_the_history_so_clients_send_only_new_messages(echo_app):
    app = await echo_app("solo")
    first = await app.chat(thread_id=THREAD, messages=[{"role": "user", "content": "one"}])
    assert first.json()["choices"][0]["message"]["content"] == "solo: one #1"
    assert first.json()["thread_id"] == THREAD
    second = await app.chat(thread_id=THREAD, messages=[{"role": "user", "content": "two"}])
    assert second.json()["choices"][0]["message"]["content"] == "solo: two #2"
    # Only the new message goes to the rails, with the state the thread keeps.
    call = app.loader.instances["solo"].calls[1]
    assert call["messages"] == [{"role": "user", "content": "two"}]
    assert call["state"]["dialog"] == {"turns": 2}
    assert await app.threads.get(THREAD) == [
        {"role": "user", "content": "one"}, {"role": "assistant", "content": "solo: one #1"},
        {"role": "user", "content": "two"}, {"role": "assistant", "content": "solo: two #2"}]
    other = await app.chat(thread_id=THREAD.upper(), messages=[{"role": "user", "content": "x"}])
    assert other.json()["choices"][0]["message"]["content"] == "solo: x #1"


async def test_concurrent_turns_on_one_thread_run_one_after_the_other(echo_app):
    app = await echo_app("solo", delay=0.01)
    responses = await asyncio.gather(*[
        app.chat(thread_id=THREAD, messages=[{"role": "user", "content": f"m{n}"}])
        for n in range(6)])
    counts = sorted(int(r.json()["choices"][0]["message"]["content"].rsplit("#", 1)[1])
                    for r in responses)
    assert counts == [1, 2, 3, 4, 5, 6]  # each turn saw all the earlier ones
    stored = await app.threads.get(THREAD)
    assert len(stored) == 12
    assert [m["role"] for m in stored] == ["user", "assistant"] * 6


async def test_failed_turn_leaves_the_thread_unchanged(echo_app):
    app = await echo_app("solo")
    await app.chat(model="solo", thread_id=THREAD)
    app.loader.instances["solo"].fail_with = RuntimeError("down")
    failed = await app.chat(model="solo", thread_id=THREAD)
    assert failed.status_code == 500
    assert len(await app.threads.get(THREAD)) == 2
    assert (await app.threads.load(THREAD)).version == 1
    app.loader.instances["solo"].fail_with = None
    again = await app.chat(model="solo", thread_id=THREAD,
                           messages=[{"role": "user", "content": "two"}])
    assert again.json()["choices"][0]["message"]["content"] == "solo: two #2"


async def test_a_thread_continued_with_another_config_is_a_409(echo_app):
    app = await echo_app("solo", "other")
    await app.chat(model="solo", thread_id=THREAD)
    for stream in (False, True):
        response = await app.chat(model="other", thread_id=THREAD, stream=stream)
        error = response.json()["error"]
        assert response.status_code == 409
        assert error["code"] == "thread_config_mismatch"
        assert "belongs to config 'solo'" in error["message"] and "'other'" in error["message"]
    assert len(await app.threads.get(THREAD)) == 2
    assert (await app.threads.load(THREAD)).version == 1


async def test_threads_disabled_is_a_clear_400(echo_app):
    app = await echo_app("solo", threads=False)
    response = await app.chat(thread_id=THREAD)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "threads_disabled"


async def test_thread_and_state_together_are_rejected(echo_app):
    app = await echo_app("solo")
    response = await app.chat(thread_id=THREAD, state={"events": []})
    assert response.status_code == 400 and response.json()["error"]["param"] == "state"


async def test_stream_sends_openai_chunks_and_done(echo_app):
    app = await echo_app("solo")
    response = await app.chat(stream=True, messages=[{"role": "user", "content": "hey there"}])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    payloads = _sse_payloads(response.text)
    assert payloads[-1] == "[DONE]"
    chunks = payloads[:-1]
    assert len({chunk["id"] for chunk in chunks}) == 1
    assert all(chunk["object"] == "chat.completion.chunk" and chunk["model"] == "solo"
               for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop",
                                        "logprobs": None}
    text = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert text == "solo: hey there #1 "
    assert len(chunks) == 2 + 4  # role chunk, one per word, stop chunk


async def test_streamed_turn_is_saved_to_the_thread(echo_app):
    app = await echo_app("solo")
    await app.chat(stream=True, thread_id=THREAD, messages=[{"role": "user", "content": "a"}])
    second = await app.chat(thread_id=THREAD, messages=[{"role": "user", "content": "b"}])
    assert second.json()["choices"][0]["message"]["content"] == "solo: b #2"
    assert (await app.threads.get(THREAD))[1] == {"role": "assistant", "content": "solo: a #1 "}


async def test_stream_errors_before_the_first_byte_are_http_errors(echo_app):
    app = await echo_app("solo")
    response = await app.chat(stream=True, model="nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


async def test_stream_failure_mid_turn_is_an_error_event_without_done(echo_app):
    app = await echo_app("solo", per_config={"solo": {"fail_with": RuntimeError("model down")}})
    response = await app.chat(stream=True, thread_id=THREAD)
    payloads = _sse_payloads(response.text)
    assert "[DONE]" not in payloads
    assert "model down" in payloads[-1]["error"]["message"]
    assert await app.threads.get(THREAD) == []


class _BrokenStore:
    """A thread store whose backend is down."""

    def __init__(self, fail_on: str):
        self.fail_on = fail_on

    def describe(self) -> str:
        return "Redis at redis://10.0.0.9:6379"

    async def load(self, thread_id, known_version=None):
        from rails.state.store import ThreadRecord

        if self.fail_on == "load":
            raise ConnectionError("connection refused")
        return ThreadRecord()

    async def commit(self, thread_id, **turn):
        raise ConnectionError("connection reset")

    async def close(self):
        pass


async def test_thread_store_failures_are_503_naming_the_store(echo_app):
    app = await echo_app("solo")
    for fail_on, words in (("load", "connection refused"), ("commit", "connection reset")):
        app.app.state.completions.threads = _BrokenStore(fail_on)
        response = await app.chat(thread_id=THREAD)
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "thread_store_unavailable"
        assert "redis://10.0.0.9:6379" in error["message"] and words in error["message"]
        streamed = await app.chat(thread_id=THREAD, stream=True)
        if fail_on == "load":  # before the stream starts: a plain HTTP error
            assert streamed.status_code == 503 and words in streamed.json()["error"]["message"]
            continue
        payloads = _sse_payloads(streamed.text)
        assert words in payloads[-1]["error"]["message"]
        assert "[DONE]" not in payloads



async def test_a_thread_stored_with_messages_only_continues_and_then_keeps_state(echo_app):
    """Threads written before threads kept dialog state have only messages."""
    app = await echo_app("solo")
    await app.threads.append(THREAD, [{"role": "user", "content": "one"},
                                      {"role": "assistant", "content": "solo: one #1"}])
    second = await app.chat(thread_id=THREAD, messages=[{"role": "user", "content": "two"}])
    assert second.json()["choices"][0]["message"]["content"] == "solo: two #2"
    assert (await app.threads.load(THREAD)).version == 1
    third = await app.chat(thread_id=THREAD, messages=[{"role": "user", "content": "three"}])
    assert third.json()["choices"][0]["message"]["content"] == "solo: three #3"
    assert app.loader.instances["solo"].calls[-1]["messages"] == [
        {"role": "user", "content": "three"}]
    assert len(await app.threads.get(THREAD)) == 6
