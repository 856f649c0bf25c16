"""The rest of NeMo's LLMRails API that code calls: the event interface, swapping the model,
the attributes it reads, the context variables and StreamingHandler, and NeMo's error sentences
that users' tests match on."""
from __future__ import annotations

import asyncio

import pytest

from rails import LLMRails, RailsConfig
from rails.testing import FakeLLM

CO = """
define user greet
  "hello"

define flow
  user greet
  bot greet back

define bot greet back
  "Hi there!"
"""


def test_process_events_carries_the_state_forward():
    app = LLMRails(RailsConfig.from_content(colang_content=CO))
    events = [{"type": "UtteranceUserActionFinished", "final_transcript": "hello"}]
    output, state = app.process_events(events)
    assert [e["script"] for e in output if e["type"] == "StartUtteranceBotAction"] == \
        ["Hi there!"]
    more, state2 = app.process_events(events, state)
    assert [e["script"] for e in more if e["type"] == "StartUtteranceBotAction"] == \
        ["Hi there!"]
    assert len(state2["events"]) == len(state["events"]) + 1 + len(more)
    with pytest.raises(ValueError, match="state"):
        app.process_events(events, state="nonsense")


def test_update_llm_replaces_the_main_model_for_generation_and_actions():
    config = RailsConfig.from_content(yaml_content="models: []\n")
    app = LLMRails(config, llm=FakeLLM(responses=["  \"from the first\""]))
    second = FakeLLM(responses=["Hello from the second model."])
    app.update_llm(second)
    assert app.llm is second
    assert app.llm_generation_actions.llm is second
    reply = app.generate(messages=[{"role": "user", "content": "hi"}])
    assert reply["content"] == "Hello from the second model."


def test_attributes_nemo_code_reads(write_config):
    app = LLMRails(RailsConfig.from_content(colang_content=CO))
    assert app.kb is None
    assert app.default_embedding_model == "all-MiniLM-L6-v2"
    assert app.default_embedding_engine == "FastEmbed"
    assert app.main_llm_supports_streaming is False  # no model at all
    app.generate(messages=[{"role": "user", "content": "hello"}])
    assert len(app.events_history_cache) == 1
    app.events_history_cache.clear()
    with_model = LLMRails(RailsConfig.from_content(yaml_content="""
models:
  - type: main
    engine: openai
    model: some-model
  - type: embeddings
    engine: SentenceTransformers
    model: my-embedder
"""))
    assert with_model.main_llm_supports_streaming is True
    assert with_model.default_embedding_engine == "SentenceTransformers"
    assert with_model.default_embedding_model == "my-embedder"
    folder = write_config({"config.yml": "models: []\n", "kb/a.md": "# A\nAlpha facts.",
                           "main.co": CO})
    kb_app = LLMRails(RailsConfig.from_path(str(folder)))
    kb_app.generate(messages=[{"role": "user", "content": "hello"}])
    assert kb_app.kb is not None and kb_app.kb.chunks


async def test_a_streaming_handler_set_in_the_context_receives_an_actions_tokens():
    from rails.actions import action
    from rails.actions.llm.utils import llm_call
    from rails.context import llm_call_info_var, streaming_handler_var
    from rails.llm.call import LLMCallInfo
    from rails.streaming import StreamingHandler

    config = RailsConfig.from_content(colang_content="""
define user ask
  "tell me"

define flow
  user ask
  $answer = execute tell
  bot inform answer

define bot inform answer
  "$answer"
""")
    llm = FakeLLM(responses=["user ask", "one two three"], streaming=True)
    app = LLMRails(config, llm=llm)
    handler = StreamingHandler()

    @action()
    async def tell(llm=None):
        streaming_handler_var.set(handler)
        llm_call_info_var.set(LLMCallInfo(task="tell_task"))
        text = await llm_call(llm, "say it")
        await handler.finish()
        return text

    app.register_action(tell)
    reply, chunks = await asyncio.gather(
        app.generate_async(messages=[{"role": "user", "content": "tell me"}]),
        _collect(handler))
    assert reply["content"] == "one two three"
    assert "".join(chunks) == "one two three" and len(chunks) > 1
    assert [call.task for call in app.explain().llm_calls] == ["generate_user_intent",
                                                               "tell_task"]


async def _collect(handler) -> list[str]:
    return [chunk async for chunk in handler]


@pytest.mark.parametrize("yaml, sentence", [
    ("rails:\n  input:\n    flows: [example input rail]\n",
     "The provided input rail flow `example input rail` does not exist"),
    ("rails:\n  output:\n    flows: [example output rail]\n",
     "The provided output rail flow `example output rail` does not exist"),
    ("rails:\n  input:\n    flows: [self check input]\n",
     "You must provide a `self_check_input` prompt template"),
    ("rails:\n  output:\n    flows: [self check output]\n",
     "Missing a `self_check_output` prompt template, which is required for the "
     "`self check output` rail"),
    ("passthrough: true\nrails:\n  dialog:\n    single_call:\n      enabled: true\n",
     "The passthrough mode and the single call dialog rails mode can't be used at the same time"),
])
def test_nemo_error_sentences_are_value_errors(yaml, sentence):
    with pytest.raises(ValueError) as caught:
        LLMRails(RailsConfig.from_content(yaml_content="models: []\n" + yaml),
                 llm=FakeLLM(responses=[]))
    assert sentence in str(caught.value)
