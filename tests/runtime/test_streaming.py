"""`LLMRails.stream_async`: tokens as the model produces them, unless rails must approve first."""
from __future__ import annotations

import asyncio

from rails import LLMRails, RailsConfig
from rails.testing import FakeLLM

CHECKS = '''
rails:
  output:
    flows:
      - self check output
prompts:
  - task: self_check_output
    content: 'Block this bot message? "{{ bot_response }}" Answer Yes or No:'
'''


def collect(app, text):
    async def run():
        return [chunk async for chunk in app.stream_async(
            messages=[{"role": "user", "content": text}])]

    return asyncio.run(run())


def test_general_answer_streams_token_by_token():
    llm = FakeLLM(responses=["The trail is open from six to eight."])
    app = LLMRails(RailsConfig.from_content(yaml_content="models: []"), llm=llm)
    chunks = collect(app, "when is the trail open?")
    assert len(chunks) > 3
    assert "".join(chunks) == "The trail is open from six to eight."


def test_output_rails_release_the_whole_message_once_approved():
    llm = FakeLLM(responses=["A fine answer.", "No"])
    app = LLMRails(RailsConfig.from_content(yaml_content=CHECKS), llm=llm)
    assert collect(app, "hi") == ["A fine answer."]


def test_blocked_message_never_reaches_the_stream():
    llm = FakeLLM(responses=["A rude answer.", "Yes"])
    app = LLMRails(RailsConfig.from_content(yaml_content=CHECKS), llm=llm)
    assert collect(app, "hi") == ["I'm sorry, I can't respond to that."]


def test_predefined_messages_arrive_as_whole_chunks():
    colang = '''
define user express greeting
  "hello"
define flow
  user express greeting
  bot express greeting
  bot offer help
define bot express greeting
  "Hello there!"
define bot offer help
  "How can I help?"
'''
    app = LLMRails(RailsConfig.from_content(colang_content=colang),
                   llm=FakeLLM(responses=["  express greeting"]))
    assert collect(app, "hello") == ["Hello there!", "\nHow can I help?"]


def test_a_failing_turn_raises_from_the_stream():
    app = LLMRails(RailsConfig.from_content(yaml_content="models: []"), llm=FakeLLM(responses=[]))

    async def run():
        return [chunk async for chunk in app.stream_async(
            messages=[{"role": "user", "content": "x"}])]

    import pytest

    with pytest.raises(Exception, match="ran out of responses"):
        asyncio.run(run())
