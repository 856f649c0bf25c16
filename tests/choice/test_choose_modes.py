"""The model chooses through the prompt form (a plain LLM), through LangChain's bind_tools,
as the fallback dialog mode, with tool rails, and under permissions."""
from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from rails import LLMRails, RailsConfig
from rails.actions import action
from rails.testing import FakeLLM

ACTIONS = '''
from rails.actions import action

@action(description="Current weather for a city", read_only=True, similes=["FORECAST"],
        examples=[[{"name": "{{user1}}", "content": {"text": "weather in Rome?"}},
                   {"name": "{{agent}}", "content": {"text": "Let me check.",
                                                     "actions": ["GET_WEATHER"]}}]])
async def GET_WEATHER(city: str):
    return f"sunny in {city}"

@action(description="Payroll figures", read_only=True, roles=["hr"])
async def PAYROLL():
    return "42 people, 1.2M"

@action(description="Refunds an order", callers=["model"], destructive=False)
async def REFUND(order: str):
    return f"refunded {order}"

@action(description="Closes the account", roles=["admin"])
async def CLOSE_ACCOUNT():
    return "closed"

def no_secrets(tool_name=None, tool_arguments=None):
    return "secret" not in json.dumps(tool_arguments or {})

def no_leaks(tool_result=None):
    return "1.2M" not in str(tool_result)
'''

DIALOG = '''
define user ask for help
  "help me"

define user close account
  "close my account"

define flow
  user ask for help
  $answer = execute choose_action
  bot $answer

define flow
  user close account
  $done = execute CLOSE_ACCOUNT
  bot $done
'''


def config(write_config, yaml: str = "", flows: str = DIALOG) -> RailsConfig:
    actions = "import json\n" + ACTIONS.replace("def no_secrets", "@action()\ndef no_secrets") \
        .replace("def no_leaks", "@action()\ndef no_leaks")
    folder = write_config({"config.yml": yaml + "rails: {dialog: {user_messages: "
                           "{embeddings_only: true}}}\n", "actions.py": actions,
                           "rails/main.co": flows})
    return RailsConfig.from_path(str(folder))


def reply(text: str, actions=(), thought="thinking") -> str:
    return json.dumps({"thought": thought, "actions": list(actions), "text": text})


def test_prompt_form_lists_actions_and_keeps_the_thought_private(write_config):
    llm = FakeLLM(responses=[
        "Sure.\n" + reply("", [{"name": "FORECAST", "arguments": {"city": "Rome"}}],
                          thought="They want the weather in Rome."),
        reply("It is sunny in Rome.", thought="Done."),
    ])
    app = LLMRails(config(write_config), llm=llm)
    answer = app.generate(messages=[{"role": "user", "content": "help me"}])
    assert answer["content"] == "It is sunny in Rome."
    first, second = llm.prompts
    assert "- GET_WEATHER: Current weather for a city" in first
    assert "city (string, required)" in first
    assert "user: weather in Rome?" in first and "assistant: Let me check. [GET_WEATHER]" in first
    assert "PAYROLL" not in first  # needs a role the anonymous user lacks
    assert "[result of FORECAST: sunny in Rome]" in second
    thoughts = [step.get("thought") for step in app.explain().tool_steps]
    assert "They want the weather in Rome." in thoughts
    assert "Rome." not in answer["content"].replace("in Rome.", "")


def test_a_plain_text_answer_is_taken_as_the_answer(write_config):
    app = LLMRails(config(write_config), llm=FakeLLM(responses=["Happy to help!"]))
    assert app.generate(messages=[{"role": "user", "content": "help me"}])["content"] == \
        "Happy to help!"


def test_roles_arrive_in_the_context_and_decide_what_is_offered(write_config):
    llm = FakeLLM(responses=[reply("", ["PAYROLL"]), reply("We have 42 people.")])
    app = LLMRails(config(write_config), llm=llm)
    answer = app.generate(messages=[
        {"role": "context", "content": {"user": {"id": "u1", "roles": ["hr"],
                                                 "organisation": "acme"}}},
        {"role": "user", "content": "help me"}])
    assert answer["content"] == "We have 42 people."
    assert "- PAYROLL: Payroll figures" in llm.prompts[0]
    decisions = app.explain().action_decisions
    assert {"action": "PAYROLL", "caller": "model", "allowed": True} .items() <= \
        decisions[-1].items()


def test_a_flow_executing_a_protected_action_is_denied_clearly(write_config):
    app = LLMRails(config(write_config))
    answer = app.generate(messages=[{"role": "user", "content": "close my account"}])
    assert "permission denied" in answer["content"]
    assert "needs one of the roles admin" in answer["content"]
    info = app.explain()
    assert info.action_decisions[-1]["allowed"] is False
    assert info.action_decisions[-1]["caller"] == "flow"
    admin = app.generate(messages=[
        {"role": "context", "content": {"user": {"roles": ["admin"]}}},
        {"role": "user", "content": "close my account"}])
    assert admin["content"] == "closed"


def test_an_action_allowed_for_the_model_runs_without_confirmation(write_config):
    llm = FakeLLM(responses=[reply("", [{"name": "REFUND", "arguments": {"order": "A1"}}]),
                             reply("Refunded.")])
    app = LLMRails(config(write_config), llm=llm)
    assert app.generate(messages=[{"role": "user", "content": "help me"}])["content"] == \
        "Refunded."
    assert "[result of REFUND: refunded A1]" in llm.prompts[1]


def test_tool_rails_block_calls_and_withhold_results(write_config):
    yaml = "tool_use: {rails: {call: [no_secrets], result: [no_leaks]}}\n"
    llm = FakeLLM(responses=[
        reply("", [{"name": "GET_WEATHER", "arguments": {"city": "secret base"}}]),
        reply("", [{"name": "PAYROLL", "arguments": {}}]),
        reply("I cannot share that."),
    ])
    app = LLMRails(config(write_config, yaml), llm=llm)
    answer = app.generate(messages=[
        {"role": "context", "content": {"user": {"roles": ["hr"]}}},
        {"role": "user", "content": "help me"}])
    assert answer["content"] == "I cannot share that."
    assert "was blocked by the rail `no_secrets`" in llm.prompts[1]
    assert "was withheld by the rail `no_leaks`" in llm.prompts[2]
    assert "1.2M" not in llm.prompts[2]


def test_fallback_mode_when_no_flow_handles_the_intent(write_config):
    yaml = "tool_use: {mode: fallback, actions: [GET_WEATHER]}\n"
    flows = 'define user greet\n  "hello"\n\ndefine flow\n  user greet\n  bot greet\n' \
            'define bot greet\n  "Hi there!"\n'
    llm = FakeLLM(responses=[
        "  greet",
        "  ask about weather",  # the intent the model finds: no flow handles it
        reply("", [{"name": "GET_WEATHER", "arguments": {"city": "Oslo"}}]),
        reply("Sunny in Oslo."),
    ])
    cfg = config(write_config, yaml, flows)
    cfg.rails.dialog.user_messages.embeddings_only = False
    app = LLMRails(cfg, llm=llm)
    assert app.generate(messages=[{"role": "user", "content": "hello"}])["content"] == \
        "Hi there!"
    answer = app.generate(messages=[{"role": "user", "content": "hello"},
                                    {"role": "assistant", "content": "Hi there!"},
                                    {"role": "user", "content": "weather in Oslo?"}])
    assert answer["content"] == "Sunny in Oslo."


def test_fallback_mode_in_general_mode(write_config):
    folder = write_config({"config.yml": "tool_use: {mode: fallback}\n",
                           "actions.py": "import json\n" + ACTIONS})
    llm = FakeLLM(responses=[reply("", [{"name": "GET_WEATHER",
                                         "arguments": {"city": "Lima"}}]),
                             reply("Sunny in Lima.")])
    app = LLMRails(RailsConfig.from_path(str(folder)), llm=llm)
    answer = app.generate(messages=[{"role": "user", "content": "weather in Lima?"}])
    assert answer["content"] == "Sunny in Lima."
    assert "user: weather in Lima?" in llm.prompts[0]


class ToolChatModel(BaseChatModel):
    """A LangChain chat model with bind_tools, answering from a script of AIMessages."""

    script: list = []
    bound: list = []
    seen: list = []

    @property
    def _llm_type(self) -> str:
        return "tool-chat"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        self.bound.append([tool["function"]["name"] for tool in tools])
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.seen.append(messages)
        return ChatResult(generations=[ChatGeneration(message=self.script.pop(0))])


def test_langchain_bind_tools(write_config):
    llm = ToolChatModel(script=[
        AIMessage(content="Checking.", tool_calls=[{"id": "t1", "name": "GET_WEATHER",
                                                     "args": {"city": "Kyiv"}}]),
        AIMessage(content="Sunny in Kyiv."),
    ], bound=[], seen=[])
    app = LLMRails(config(write_config), llm=llm)
    answer = app.generate(messages=[{"role": "user", "content": "help me"}])
    assert answer["content"] == "Sunny in Kyiv."
    assert "GET_WEATHER" in llm.bound[0] and "PAYROLL" not in llm.bound[0]
    tool_message = llm.seen[1][-1]
    assert tool_message.type == "tool" and tool_message.content == "sunny in Kyiv"
    assert tool_message.tool_call_id == "t1"
    assert app.explain().tool_steps[1]["thought"] == "Checking."


async def test_the_python_api(write_config):
    from rails.actions.choice import choose

    @action(read_only=True, description="Adds two numbers")
    async def add(a: int, b: int):
        return a + b

    app = LLMRails(config(write_config), llm=FakeLLM(responses=[
        reply("", [{"name": "add", "arguments": {"a": 2, "b": 3}}]), reply("5")]))
    app.register_action(add)
    result = await choose(app, messages=[{"role": "user", "content": "2+3?"}],
                          actions=["add"])
    assert result.text == "5"
    assert result.ran == [{"action": "add", "arguments": {"a": 2, "b": 3},
                           "status": "success", "content": "5",
                           "duration": result.ran[0]["duration"]}]
