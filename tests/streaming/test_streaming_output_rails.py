"""rails.output.streaming: output rails check streamed text window by window."""
from __future__ import annotations

import asyncio
import json

import pytest

from rails import LLMRails, RailsConfig
from rails.actions import action
from rails.testing import FakeLLM

ANSWER = "one two three four five six seven secret eight nine"
FLOWS = """
define user ask
  "tell me"

define flow answer
  user ask
  bot answer freely

define user greet
  "hello"

define bot greet back
  "Hello, this is secret stuff!"

define flow greeting
  user greet
  bot greet back
"""


def config(stream_first=True, chunk_size=4, context_size=2, enabled=True, flows=None,
           parallel=False):
    flows = flows or ["self check output"]
    return RailsConfig.from_content(colang_content=FLOWS + """
define subflow explode check
  $ok = execute explode
""", yaml_content=f"""
models: []
rails:
  output:
    parallel: {parallel}
    flows: {flows}
    streaming:
      enabled: {enabled}
      chunk_size: {chunk_size}
      context_size: {context_size}
      stream_first: {stream_first}
prompts:
  - task: self_check_output
    content: "Should this bot message be blocked? {{{{ bot_response }}}}"
""")


def respond(prompt: str) -> str:
    if prompt.startswith("Should this bot message"):
        return "Yes" if "secret" in prompt else "No"
    if "Bot intent: answer freely" in prompt:
        return f'Bot message: "{ANSWER}"'
    if 'User message: "hello"' in prompt.splitlines()[-1]:
        return "  greet"
    return "  ask"


def build(**kwargs):
    llm = FakeLLM(respond=respond)
    app = LLMRails(config(**kwargs), llm=llm)

    @action()
    async def explode():
        raise RuntimeError("moderation service down")

    app.register_action(explode)
    return app, llm


async def collect(app, text="tell me", **kwargs):
    return [chunk async for chunk in app.stream_async(
        messages=[{"role": "user", "content": text}], **kwargs)]


def checked_windows(llm):
    return [call["prompt"].split("? ", 1)[1] for call in llm.calls
            if call["prompt"].startswith("Should this bot message")]


async def test_stream_first_sends_the_window_then_ends_with_nemos_error():
    app, llm = build(stream_first=True)
    chunks = await collect(app)
    assert "".join(chunks[:-1]) == "one two three four five six seven secret"
    assert json.loads(chunks[-1]) == {"error": {
        "message": "Blocked by self check output rails.", "type": "guardrails_violation",
        "param": "self check output", "code": "content_blocked"}}
    # Each window carries the last two tokens of the previous one as context.
    assert checked_windows(llm) == ["one two three four",
                                    " three four five six seven secret"]


async def test_without_stream_first_blocked_text_is_never_sent():
    app, _ = build(stream_first=False)
    chunks = await collect(app)
    assert "".join(chunks[:-1]) == "one two three four"
    assert json.loads(chunks[-1])["error"]["code"] == "content_blocked"


async def test_passing_text_streams_whole_in_windows():
    app, llm = build(chunk_size=3, context_size=0)
    safe = FakeLLM(respond=lambda p: respond(p).replace("secret", "safe"))
    app = LLMRails(config(chunk_size=3, context_size=0), llm=safe)
    chunks = await collect(app)
    assert "".join(chunks) == ANSWER.replace("secret", "safe")
    assert len(chunks) == len(ANSWER.split())  # token by token, not one block
    assert checked_windows(safe) == ["one two three", " four five six", " seven safe eight",
                                     " nine"]


async def test_a_failing_rail_fails_closed():
    app, _ = build(flows=["explode check"], stream_first=False)
    chunks = await collect(app)
    error = json.loads(chunks[-1])["error"]
    assert chunks == [chunks[-1]]  # nothing reached the user
    assert error["type"] == "internal_error" and error["code"] == "rail_execution_failure"
    assert error["param"] == "explode check" and "moderation service down" in error["message"]


async def test_predefined_messages_are_checked_too():
    app, _ = build(stream_first=False)
    chunks = await collect(app, "hello")
    assert len(chunks) == 1 and json.loads(chunks[0])["error"]["code"] == "content_blocked"


async def test_parallel_output_rails_while_streaming():
    app, _ = build(flows=["self check output", "explode check"], parallel=True,
                   stream_first=False)
    chunks = await collect(app)
    assert json.loads(chunks[-1])["error"]["code"] in ("content_blocked",
                                                       "rail_execution_failure")
    assert "".join(chunks[:-1]) == ""


async def test_metadata_chunks_go_through_the_rails():
    app, _ = build(stream_first=False)
    chunks = await collect(app, include_metadata=True)
    assert all(isinstance(chunk, dict) for chunk in chunks[:-1])
    assert "".join(chunk["text"] for chunk in chunks[:-1]) == "one two three four"
    assert json.loads(chunks[-1])["error"]["code"] == "content_blocked"


async def words(text):
    for word in text.split(" "):
        await asyncio.sleep(0)
        yield word + " "


async def test_custom_generators_never_bypass_the_rails():
    app, _ = build(stream_first=False)
    chunks = await collect(app, generator=words("a b c d e secret f"))
    assert "".join(chunks[:-1]) == "a b c d "
    assert json.loads(chunks[-1])["error"]["code"] == "content_blocked"


async def test_custom_generator_with_metadata_chunks():
    app, _ = build(stream_first=False)

    async def chunks_with_metadata():
        for number, text in enumerate(("tell ", "me ", "a ", "nice ", "big ", "secret")):
            yield {"text": text, "generation_info": {"index": number}}

    chunks = await collect(app, generator=chunks_with_metadata(), include_metadata=True)
    # The first window passed: its chunks arrive as they were, metadata included.
    assert chunks[:-1] == [{"text": text, "generation_info": {"index": number}}
                           for number, text in enumerate(("tell ", "me ", "a ", "nice "))]
    assert json.loads(chunks[-1])["error"]["code"] == "content_blocked"


async def test_custom_generator_is_checked_whole_when_streaming_is_off():
    app, llm = build(enabled=False)
    chunks = await collect(app, generator=words("a secret here"))
    assert len(chunks) == 1 and json.loads(chunks[0])["error"]["code"] == "content_blocked"
    assert checked_windows(llm) == ["a secret here "]
    fine = await collect(app, generator=words("all good"))
    assert "".join(fine) == "all good "


async def test_generator_without_output_rails_passes_through():
    app = LLMRails(RailsConfig.from_content(yaml_content="models: []"), llm=FakeLLM())
    assert "".join(await collect(app, generator=words("x y"))) == "x y "


async def test_streaming_off_keeps_whole_checked_messages():
    app, _ = build(enabled=False)
    assert await collect(app) == ["I'm sorry, I can't respond to that."]


async def test_nemo_documented_example_runs_after_the_import_change(write_config):
    """The Python example of NeMo's output-rail streaming page, `nemoguardrails` -> `rails`."""
    folder = write_config({"config.yml": """
models: []
rails:
  output:
    flows:
      - self check output
    streaming:
      enabled: True
      chunk_size: 200
      context_size: 50
      stream_first: True
prompts:
  - task: self_check_output
    content: "Should this bot message be blocked? {{ bot_response }}"
""", "rails.co": FLOWS})
    from rails import LLMRails as Rails, RailsConfig as Config

    config = Config.from_path(str(folder))
    rails = Rails(config, llm=FakeLLM(respond=lambda p: respond(p).replace("secret", "story")))
    messages = [{"role": "user", "content": "tell me"}]
    printed = []
    async for chunk in rails.stream_async(messages=messages):
        printed.append(chunk)
    assert "".join(printed) == ANSWER.replace("secret", "story")


@pytest.mark.parametrize("stream_first", [True, False])
async def test_time_order_of_check_and_send(stream_first):
    """stream_first sends a window before its check starts; otherwise after it ends."""
    events: list[str] = []

    class Recording(FakeLLM):
        async def _acall(self, prompt, stop=None, run_manager=None, **kwargs):
            if prompt.startswith("Should this bot message"):
                events.append("check")
                await asyncio.sleep(0.01)
            return await super()._acall(prompt, stop, run_manager, **kwargs)

    app = LLMRails(config(stream_first=stream_first, chunk_size=100),
                   llm=Recording(respond=lambda p: respond(p).replace("secret", "x")))
    async for chunk in app.stream_async(messages=[{"role": "user", "content": "tell me"}]):
        events.append("chunk")
    first_check = events.index("check")
    if stream_first:
        assert events[:first_check] == ["chunk"] * first_check and first_check > 0
    else:
        assert first_check == 0
