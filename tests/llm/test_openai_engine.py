"""The built-in OpenAI-compatible engine against a real HTTP server on loopback."""
from __future__ import annotations

import pytest

from rails.errors import ConfigError, LLMCallError
from rails.llm.call import LLMCallLog, current_call_log, llm_call, streaming_handler
from rails.llm.models import create_llm
from rails.llm.openai_engine import OpenAICompatibleModel


def engine(server, **params):
    return create_llm({"type": "main", "engine": "openai", "model": "test-model",
                       "parameters": {"base_url": server.base_url, **params}})


async def test_plain_call_sends_messages_settings_and_records_usage(openai_server,
                                                                    chat_answer_factory):
    openai_server.reply = ("json", 200, chat_answer_factory("Hello!", usage=(11, 2)))
    model = engine(openai_server, temperature=0.3, top_p=0.9)
    log = LLMCallLog()
    token = current_call_log.set(log)
    try:
        text = await llm_call(model, [{"type": "system", "content": "rules"},
                                      {"type": "bot", "content": "earlier"},
                                      {"type": "user", "content": "hi"}],
                              task="general", stop=["User:"], max_tokens=20)
    finally:
        current_call_log.reset(token)
    assert text == "Hello!"
    request = openai_server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"] == {
        "model": "test-model", "temperature": 0.3, "max_tokens": 20, "stop": ["User:"],
        "top_p": 0.9, "messages": [{"role": "system", "content": "rules"},
                                   {"role": "assistant", "content": "earlier"},
                                   {"role": "user", "content": "hi"}]}
    [call] = log.calls
    assert (call.task, call.completion, call.prompt_tokens, call.completion_tokens,
            call.total_tokens) == ("general", "Hello!", 11, 2, 13)
    assert call.duration >= 0 and call.started_at > 0 and "[user] hi" in call.prompt


async def test_api_key_from_named_env_var_and_default_openai_key(openai_server, monkeypatch,
                                                                chat_answer_factory):
    openai_server.reply = ("json", 200, chat_answer_factory("ok"))
    monkeypatch.setenv("MY_TEST_KEY", "sekret")
    await llm_call(engine(openai_server, api_key_env_var="MY_TEST_KEY"), "hi")
    assert openai_server.requests[-1]["headers"]["Authorization"] == "Bearer sekret"
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    await llm_call(engine(openai_server), "hi")
    assert "Authorization" not in openai_server.requests[-1]["headers"]
    monkeypatch.delenv("MY_TEST_KEY")
    with pytest.raises(ConfigError, match="MY_TEST_KEY"):
        engine(openai_server, api_key_env_var="MY_TEST_KEY")


async def test_base_url_from_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v9/")
    model = create_llm({"engine": "openai_compatible", "model": "m"})
    assert isinstance(model, OpenAICompatibleModel)
    assert model.endpoint == "http://127.0.0.1:9/v9/chat/completions"


async def test_sse_streaming_passes_tokens_and_returns_full_text(openai_server):
    chunks = [{"choices": [{"delta": {"role": "assistant"}}]},
              {"choices": [{"delta": {"content": "Hel"}}]},
              {"choices": [{"delta": {"content": "lo "}}]},
              {"choices": [{"delta": {"content": "there"}}]},
              {"choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 3,
                                        "total_tokens": 7}}]
    openai_server.reply = ("sse", chunks)
    received = []

    async def on_token(token):
        received.append(token)

    log = LLMCallLog()
    tokens = (streaming_handler.set(on_token), current_call_log.set(log))
    try:
        text = await llm_call(engine(openai_server), "hi", task="generate_bot_message")
    finally:
        streaming_handler.reset(tokens[0])
        current_call_log.reset(tokens[1])
    assert received == ["Hel", "lo ", "there"]
    assert text == "Hello there"
    assert openai_server.requests[0]["body"]["stream"] is True
    assert log.calls[0].total_tokens == 7


@pytest.mark.parametrize("status, body", [
    (401, {"error": {"message": "Incorrect API key provided"}}),
    (500, "upstream exploded"),
])
async def test_http_errors_name_endpoint_status_and_body(openai_server, status, body):
    openai_server.reply = ("json", status, body)
    model = engine(openai_server)
    with pytest.raises(LLMCallError) as info:
        await llm_call(model, "hi")
    error = info.value
    assert error.status == status
    assert error.endpoint == model.endpoint
    assert str(status) in str(error) and model.endpoint in str(error)
    expected = "Incorrect API key" if status == 401 else "upstream exploded"
    assert expected in error.body_excerpt and expected in str(error)


async def test_streaming_error_status_is_reported(openai_server):
    openai_server.reply = ("json", 429, {"error": "slow down"})

    async def on_token(token):
        raise AssertionError("no tokens expected")

    token = streaming_handler.set(on_token)
    try:
        with pytest.raises(LLMCallError, match="429.*slow down"):
            await llm_call(engine(openai_server), "hi")
    finally:
        streaming_handler.reset(token)


async def test_unreachable_endpoint_and_malformed_answer():
    model = create_llm({"engine": "openai", "model": "m",
                        "parameters": {"base_url": "http://127.0.0.1:9/v1",
                                       "connect_timeout": 1}})
    with pytest.raises(LLMCallError, match="could not reach .*127.0.0.1:9") as info:
        await llm_call(model, "hi")
    assert info.value.__cause__ is not None


async def test_answer_without_choices_is_a_clear_error(openai_server):
    openai_server.reply = ("json", 200, {"unexpected": True})
    with pytest.raises(LLMCallError, match="without choices"):
        await llm_call(engine(openai_server), "hi")


async def test_instruct_models_use_the_completions_route(openai_server):
    openai_server.reply = ("json", 200, {"choices": [{"text": " done"}]})
    model = create_llm({"engine": "openai", "model": "gpt-3.5-turbo-instruct",
                        "parameters": {"base_url": openai_server.base_url}})
    assert await llm_call(model, "say done") == " done"
    assert openai_server.requests[0]["path"] == "/v1/completions"
    assert openai_server.requests[0]["body"]["prompt"] == "say done"


def rails_for(server, extra=""):
    from rails import LLMRails, RailsConfig

    config = RailsConfig.from_content(yaml_content=f"""
models:
  - type: main
    engine: openai
    model: test-model
    parameters:
      base_url: {server.base_url}
{extra}""")
    return LLMRails(config)


def test_llmrails_general_mode_through_the_builtin_engine(openai_server, chat_answer_factory):
    openai_server.reply = ("json", 200, chat_answer_factory("Paris is the capital."))
    app = rails_for(openai_server)
    response = app.generate(messages=[{"role": "user", "content": "Capital of France?"}])
    assert response == {"role": "assistant", "content": "Paris is the capital."}
    body = openai_server.requests[0]["body"]
    assert body["stop"] == ["User:"]
    assert body["messages"][-1]["content"].endswith("User: Capital of France?\nAssistant:")
    [call] = app.explain().llm_calls
    assert (call.task, call.total_tokens) == ("general", 10)


async def test_llmrails_streams_tokens_from_sse(openai_server):
    openai_server.reply = ("sse", [{"choices": [{"delta": {"content": part}}]}
                                   for part in ("Bonjour", " tout", " le monde")])
    app = rails_for(openai_server)
    chunks = [chunk async for chunk in app.stream_async(
        messages=[{"role": "user", "content": "hi"}])]
    assert "".join(chunks) == "Bonjour tout le monde"
    assert len(chunks) == 3


def test_llmrails_reports_endpoint_errors(openai_server):
    openai_server.reply = ("json", 401, {"error": {"message": "bad key"}})
    app = rails_for(openai_server)
    with pytest.raises(LLMCallError, match="401.*bad key"):
        app.generate(messages=[{"role": "user", "content": "hi"}])


def test_dialog_with_a_chat_model_uses_the_chat_prompts(openai_server, chat_answer_factory):
    from rails import LLMRails, RailsConfig

    config = RailsConfig.from_content(colang_content="""
define user ask about shipping
  "how long does shipping take"

define flow shipping
  user ask about shipping
  bot explain shipping
""", yaml_content=f"""
models:
  - type: main
    engine: openai
    model: gpt-4o-mini
    parameters:
      base_url: {openai_server.base_url}
""")
    openai_server.replies = [
        ("json", 200, chat_answer_factory("User intent: ask about shipping")),
        ("json", 200, chat_answer_factory('Bot message: "Two to three days."')),
    ]
    app = LLMRails(config)
    response = app.generate(messages=[{"role": "user", "content": "when will it arrive?"}])
    assert response["content"] == "Two to three days."
    intent_request, message_request = (r["body"] for r in openai_server.requests)
    assert intent_request["messages"][0]["role"] == "system"
    assert intent_request["messages"][-1] == {"role": "user", "content": "when will it arrive?"}
    assert {"role": "user", "content": "how long does shipping take"} in intent_request["messages"]
    assert message_request["messages"][-1]["content"].endswith("Bot intent: explain shipping")
    assert [call.task for call in app.explain().llm_calls] == [
        "generate_user_intent", "generate_bot_message"]
