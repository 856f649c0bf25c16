"""What a new user meets first with models: a missing API key is named before any request is
sent, NeMo's top-level `api_key_env_var` is honoured, bad generation options read plainly."""
from __future__ import annotations

import pytest

from rails import LLMRails, RailsConfig
from rails.errors import GenerationOptionsError, LLMCallError

OPENAI_MODEL = "models:\n  - type: main\n    engine: openai\n    model: gpt-4o-mini\n"


def test_no_api_key_is_named_before_any_request(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    app = LLMRails(RailsConfig.from_content(yaml_content=OPENAI_MODEL))
    with pytest.raises(LLMCallError) as caught:
        app.generate(messages=[{"role": "user", "content": "hi"}])
    message = str(caught.value)
    assert "no API key" in message and "OPENAI_API_KEY" in message
    assert "OPENAI_BASE_URL" in message and "api_key_env_var" in message
    assert "could not reach" not in message  # nothing was sent


def test_the_named_variable_is_the_one_to_set(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "the-default-is-not-used")
    yaml_text = OPENAI_MODEL + "    api_key_env_var: TEAM_OPENAI_KEY\n"
    with pytest.raises(Exception, match="TEAM_OPENAI_KEY"):
        LLMRails(RailsConfig.from_content(yaml_content=yaml_text))


def test_top_level_api_key_env_var_is_sent(openai_server, chat_answer_factory, monkeypatch):
    openai_server.reply = ("json", 200, chat_answer_factory("Hello!"))
    monkeypatch.setenv("TEAM_OPENAI_KEY", "team-secret")
    monkeypatch.setenv("OPENAI_API_KEY", "not-this-one")
    config = RailsConfig.from_content(yaml_content=f"""
models:
  - type: main
    engine: openai
    model: test-model
    api_key_env_var: TEAM_OPENAI_KEY
    parameters:
      base_url: {openai_server.base_url}
""")
    answer = LLMRails(config).generate(messages=[{"role": "user", "content": "hi"}])
    assert answer["content"] == "Hello!"
    assert openai_server.requests[0]["headers"]["Authorization"] == "Bearer team-secret"


def test_a_local_endpoint_needs_no_key(openai_server, chat_answer_factory, monkeypatch):
    openai_server.reply = ("json", 200, chat_answer_factory("local"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    app = LLMRails(RailsConfig.from_content(yaml_content=OPENAI_MODEL))
    assert app.generate(messages=[{"role": "user", "content": "hi"}])["content"] == "local"


@pytest.mark.parametrize("options, words", [
    ({"llm_params": 5}, "llm_params: Input should be a valid dictionary"),
    ({"rails": {"inptu": True}}, "rails.inptu: unknown key"),
    ({"log": {"activated_rails": "maybe"}}, "log.activated_rails"),
    ("everything", "must be a dict or a GenerationOptions"),
])
def test_generation_option_errors_are_plain(options, words):
    from rails.testing import FakeLLM

    app = LLMRails(RailsConfig.from_content(yaml_content="models: []"), llm=FakeLLM(responses=["x"]))
    with pytest.raises(GenerationOptionsError) as caught:
        app.generate(messages=[{"role": "user", "content": "hi"}], options=options)
    assert words in str(caught.value) and "pydantic" not in str(caught.value)
    assert isinstance(caught.value, ValueError)  # what NeMo's pydantic error was
