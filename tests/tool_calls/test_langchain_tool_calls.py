"""Passthrough tool calls with a LangChain chat model: the tools are bound with `bind_tools`,
the model's `tool_calls` come back in OpenAI's form, and the caller's results reach the
model as LangChain tool messages."""
from __future__ import annotations

from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from rails import LLMRails, RailsConfig

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object",
                                          "properties": {"city": {"type": "string"}}}}}


class ToolChat(BaseChatModel):
    """Answers with the next scripted AIMessage; records what it was given."""

    script: list = []
    seen: list = []
    bound: list = []

    @property
    def _llm_type(self) -> str:
        return "tool-chat"

    def bind_tools(self, tools, **kwargs: Any):
        self.bound.append({"tools": tools, **kwargs})
        return self.bind(tools=tools, **kwargs)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append((messages, kwargs))
        return ChatResult(generations=[ChatGeneration(message=self.script.pop(0))])


def test_bind_tools_then_tool_results_with_a_langchain_chat_model(tmp_path):
    (tmp_path / "config.yml").write_text("models: []\npassthrough: true\n")
    model = ToolChat(script=[
        AIMessage(content="", tool_calls=[{"id": "lc_1", "name": "get_weather",
                                           "args": {"city": "Oslo"}}]),
        AIMessage(content="Sunny in Oslo."),
    ], seen=[], bound=[])
    app = LLMRails(RailsConfig.from_path(str(tmp_path)), llm=model)
    options = {"llm_params": {"tools": [WEATHER], "tool_choice": "auto"}}
    history = [{"role": "user", "content": "Weather in Oslo?"}]
    message = app.generate(messages=history, options=options).response[0]
    assert message["tool_calls"] == [{"id": "lc_1", "type": "function", "function": {
        "name": "get_weather", "arguments": '{"city": "Oslo"}'}}]
    assert model.bound[0] == {"tools": [WEATHER], "tool_choice": "auto"}

    history += [message, {"role": "tool", "tool_call_id": "lc_1", "content": "sunny"}]
    final = app.generate(messages=history, options=options).response[0]
    assert final == {"role": "assistant", "content": "Sunny in Oslo."}
    given, _ = model.seen[1]
    assert given[1].tool_calls[0]["id"] == "lc_1"
    assert given[1].tool_calls[0]["args"] == {"city": "Oslo"}
    assert isinstance(given[2], ToolMessage) and given[2].tool_call_id == "lc_1"
    assert given[2].content == "sunny"


def test_a_chat_model_bound_with_its_tools_passes_its_calls_through(tmp_path):
    """NeMo's tools guide: `LLMRails(config, llm=model.bind_tools(tools))`."""
    (tmp_path / "config.yml").write_text("models: []\npassthrough: true\n")
    model = ToolChat(script=[AIMessage(content="", tool_calls=[
        {"id": "b_1", "name": "get_weather", "args": {"city": "Rome"}}])], seen=[], bound=[])
    app = LLMRails(RailsConfig.from_path(str(tmp_path)), llm=model.bind_tools([WEATHER]))
    message = app.generate(messages=[{"role": "user", "content": "Weather in Rome?"}])
    assert message["tool_calls"] == [{"id": "b_1", "type": "function", "function": {
        "name": "get_weather", "arguments": '{"city": "Rome"}'}}]
    _, kwargs = model.seen[0]
    assert kwargs["tools"] == [WEATHER]  # what was bound reached the model
