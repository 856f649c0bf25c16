"""Streaming output rails through a real `dialog-rails serve` process and the openai client:
checked chunks arrive as SSE, a block ends the stream with NeMo's error (the client raises)."""
from __future__ import annotations

import openai
import pytest

from tests.folders import write_files
from tests.server_processes import ServerProcess

RAIL = """
define subflow block word
  $bad = execute mentions(text=$bot_message, word="WORD")
  if $bad
    bot refuse to respond
    stop
"""
ACTIONS = """
from rails.actions import action


@action()
async def mentions(text: str, word: str) -> bool:
    return word in (text or "")
"""


def streaming_config(base_url: str, word: str, stream_first: bool) -> dict:
    return {"config.yml": f"""
models:
  - type: main
    engine: openai
    model: fake-model
    parameters:
      base_url: {base_url}
      api_key: not-needed
instructions:
  - type: general
    content: You are a test assistant.
rails:
  output:
    flows: [block word]
    streaming:
      enabled: true
      chunk_size: 2
      context_size: 0
      stream_first: {stream_first}
""", "rails.co": RAIL.replace("WORD", word), "actions.py": ACTIONS}


@pytest.fixture
def server(tmp_path, fake_llm):
    root = tmp_path / "configs"
    write_files(root / "first", streaming_config(fake_llm.base_url, "fake", True))
    write_files(root / "checked", streaming_config(fake_llm.base_url, "fake", False))
    write_files(root / "clean", streaming_config(fake_llm.base_url, "zebra", True))
    process = ServerProcess(["--config-dir", str(root), "--default-config", "clean"]).start()
    yield openai.OpenAI(base_url=process.base_url + "/v1", api_key="x", max_retries=0,
                        timeout=30)
    process.stop()


def stream(client, model):
    received: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in client.chat.completions.create(
                model=model, stream=True, messages=[{"role": "user", "content": "hi"}]):
            if chunk.choices:
                received.append(chunk.choices[0].delta.content or "")
    return "".join(received), caught.value


def test_passing_stream_arrives_in_checked_chunks(server, fake_llm_words):
    chunks = [chunk.choices[0].delta.content or "" for chunk in server.chat.completions.create(
        model="clean", stream=True, messages=[{"role": "user", "content": "hi"}])
        if chunk.choices]
    assert "".join(chunks) == "".join(fake_llm_words)
    assert len([c for c in chunks if c]) == len(fake_llm_words)


def test_stream_first_block_ends_the_stream_with_the_error(server):
    text, error = stream(server, "first")
    assert text == "Hello from the fake"  # the blocked window was sent before its check
    assert "Blocked by block word rails." in str(error)


def test_checked_first_block_sends_nothing_blocked(server):
    text, error = stream(server, "checked")
    assert text == "Hello from"
    assert "Blocked by block word rails." in str(error)


def test_the_last_chunk_logs_every_window_check(server, fake_llm_words):
    chunks = list(server.chat.completions.create(
        model="clean", stream=True, messages=[{"role": "user", "content": "hi"}],
        extra_body={"options": {"log": {"activated_rails": True}}}))
    log = chunks[-1].model_extra["log"]
    # chunk_size 2, no context: the five words are checked in three windows, in order.
    assert [(check["window"], check["text"], check["status"]) for check in
            log["stream_checks"]] == [(1, "Hello from", "passed"),
                                      (2, " the fake", "passed"), (3, " model.", "passed")]
    outputs = [rail for rail in log["activated_rails"] if rail["type"] == "output"]
    assert [rail["name"] for rail in outputs] == ["block word"] * 3
    assert "".join(fake_llm_words) == "Hello from the fake model."


def test_a_blocked_stream_logs_the_window_that_blocked(server, fake_llm_words):
    import json

    import httpx

    request = {"model": "checked", "stream": True, "messages": [{"role": "user",
               "content": "hi"}], "options": {"log": {"activated_rails": True}}}
    with httpx.stream("POST", str(server.base_url) + "chat/completions", json=request,
                      timeout=30) as response:
        events = [json.loads(line[len("data: "):]) for line in response.iter_lines()
                  if line.startswith("data: ")]
    last = events[-1]
    assert last["error"]["code"] == "content_blocked"
    assert [(check["window"], check["text"], check["status"], check["rail"]) for check in
            last["log"]["stream_checks"]] == [(1, "Hello from", "passed", None),
                                              (2, " the fake", "blocked", "block word")]
    assert [rail["stop"] for rail in last["log"]["activated_rails"]] == [False, True]
