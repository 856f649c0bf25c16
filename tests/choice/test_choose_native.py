"""The model chooses actions through native tool calls of the built-in OpenAI-compatible
engine, against a fake endpoint on loopback."""
from __future__ import annotations

import json

from rails import LLMRails, RailsConfig

ACTIONS = '''
from rails.actions import action

@action(description="Current weather for a city", read_only=True, similes=["FORECAST"])
async def GET_WEATHER(city: str):
    return {"city": city, "sky": "sunny", "celsius": 21}

@action(description="Generates an image", read_only=True, similes=["DRAW"],
        validate=lambda message: "draw" in (message or "").lower())
async def GENERATE_IMAGE(prompt: str):
    return f"https://img.example/{prompt.replace(' ', '-')}.png"

@action(description="Deletes the user's account")
async def DELETE_ACCOUNT():
    raise AssertionError("never offered, never run")

@action(description="Sends an e-mail", callers=["model"], idempotent=False)
async def SEND_MAIL(to: str, body: str):
    raise AssertionError("destructive: needs confirmation first")
'''

FLOWS = '''
define user ask for help
  "help me"
  "can you help"

define flow
  user ask for help
  $answer = execute choose_action
  bot $answer
'''


def app_for(write_config, fake, flows=FLOWS, extra_yaml=""):
    # (intents by example match, so every model call is the choice's)
    intents = "rails: {dialog: {user_messages: {embeddings_only: true}}}\n"
    folder = write_config({"config.yml": fake.yaml + intents + extra_yaml, "actions.py": ACTIONS,
                           "rails/main.co": flows})
    return LLMRails(RailsConfig.from_path(str(folder)))


def offered(request: dict) -> list[str]:
    return [tool["function"]["name"] for tool in request.get("tools") or ()]


def test_the_model_calls_a_tool_then_answers(write_config, fake_openai):
    fake_openai.script = [
        fake_openai.tools(("GET_WEATHER", {"city": "Oslo"}),
                          thought="The user wants the weather; I will look it up."),
        fake_openai.text("It is sunny and 21 degrees in Oslo."),
    ]
    app = app_for(write_config, fake_openai)
    reply = app.generate(messages=[{"role": "user", "content": "help me"}])
    assert reply == {"role": "assistant", "content": "It is sunny and 21 degrees in Oslo."}

    first, second = fake_openai.requests
    # Valid (validate true) and permitted (read-only) actions only: no DRAW for this message,
    # no DELETE_ACCOUNT (not read-only, not allowed for the model).
    assert offered(first) == ["GET_WEATHER", "SEND_MAIL"]
    weather = first["tools"][0]["function"]
    assert weather["description"] == "Current weather for a city"
    assert weather["parameters"]["required"] == ["city"]
    assert first["messages"][-1] == {"role": "user", "content": "help me"}
    # The result goes back as a tool message answering the call.
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_0"
    assert json.loads(tool_message["content"]) == {"city": "Oslo", "sky": "sunny",
                                                   "celsius": 21}
    assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "GET_WEATHER"

    info = app.explain()
    assert "I will look it up" not in reply["content"]
    thoughts = [step.get("thought") for step in info.tool_steps]
    assert "The user wants the weather; I will look it up." in thoughts
    ran = [call for step in info.tool_steps for call in step.get("calls", ())]
    assert ran[0]["action"] == "GET_WEATHER" and ran[0]["status"] == "success"
    assert [call.task for call in info.llm_calls].count("choose_action") == 2


def test_validate_depends_on_the_message_and_similes_resolve(write_config, fake_openai):
    fake_openai.script = [fake_openai.tools(("DRAW", {"prompt": "a red boat"})),
                          fake_openai.text("Here is your boat.")]
    app = app_for(write_config, fake_openai, flows=FLOWS.replace(
        '"help me"', '"help me"\n  "please draw a red boat"'))
    reply = app.generate(messages=[{"role": "user", "content": "please draw a red boat"}])
    assert reply["content"] == "Here is your boat."
    assert "GENERATE_IMAGE" in offered(fake_openai.requests[0])
    result = fake_openai.requests[1]["messages"][-1]["content"]
    assert result == "https://img.example/a-red-boat.png"


def test_unknown_actions_and_bad_arguments_come_back_as_errors(write_config, fake_openai):
    fake_openai.script = [
        fake_openai.tools(("LAUNCH_ROCKET", {}), ("GET_WEATHER", {"town": "Oslo"}),
                          ("GET_WEATHER", "{not json"), ("DELETE_ACCOUNT", {})),
        fake_openai.tools(("GET_WEATHER", {"city": 7})),
        fake_openai.text("Sorry, I could not get the weather."),
    ]
    app = app_for(write_config, fake_openai)
    reply = app.generate(messages=[{"role": "user", "content": "help me"}])
    assert reply["content"] == "Sorry, I could not get the weather."
    results = [m["content"] for m in fake_openai.requests[1]["messages"] if m["role"] == "tool"]
    assert results[0].startswith("Error: unknown action `LAUNCH_ROCKET`")
    assert "GET_WEATHER" in results[0]
    assert "missing required argument `city`" in results[1]
    assert "unknown argument `town`" in results[1]
    assert "not valid JSON" in results[2]
    assert results[3].startswith("Error: unknown action `DELETE_ACCOUNT`")
    last = fake_openai.requests[2]["messages"][-1]["content"]
    assert "`city` must be of type string, not int" in last


def test_the_loop_is_bounded(write_config, fake_openai):
    fake_openai.script = [fake_openai.tools(("GET_WEATHER", {"city": "Oslo"}))]
    fake_openai.repeat_last = True  # the model never stops asking for tools
    app = app_for(write_config, fake_openai, extra_yaml="tool_use: {max_steps: 3}\n")
    reply = app.generate(messages=[{"role": "user", "content": "help me"}])
    assert len(fake_openai.requests) == 3
    assert fake_openai.requests[-1]["tool_choice"] == "none"  # the last step offers none
    assert "could not finish" in reply["content"]


def test_without_a_turn_to_ask_in_a_destructive_choice_is_refused(write_config, fake_openai):
    from rails.actions.choice import choose_sync

    fake_openai.script = [fake_openai.tools(("SEND_MAIL", {"to": "a@b.c", "body": "hi"})),
                          fake_openai.text("I need your confirmation to send it.")]
    app = app_for(write_config, fake_openai)
    result = choose_sync(app, [{"role": "user", "content": "mail a@b.c"}],
                         actions=["SEND_MAIL", "GET_WEATHER"])
    assert result.text == "I need your confirmation to send it."
    fed_back = fake_openai.requests[1]["messages"][-1]["content"]
    assert "needs the user's confirmation" in fed_back
    assert result.steps[0]["calls"][0]["status"] == "needs_confirmation"


def test_a_destructive_choice_asks_the_user_and_resumes(write_config, fake_openai):
    actions = ACTIONS.replace('''async def SEND_MAIL(to: str, body: str):
    raise AssertionError("destructive: needs confirmation first")''', '''async def SEND_MAIL(to: str, body: str):
    SENT.append(to)
    return f"sent to {to}"

SENT = []''')
    folder = write_config({"config.yml": fake_openai.yaml + "rails: {dialog: {user_messages: "
                           "{embeddings_only: true}}}\n", "actions.py": actions,
                           "rails/main.co": FLOWS}, name="confirming")
    fake_openai.script = [fake_openai.tools(("SEND_MAIL", {"to": "ann@example.com",
                                                           "body": "hi"})),
                          fake_openai.text("Sent it to Ann.")]
    app = LLMRails(RailsConfig.from_path(str(folder)))
    asked = app.generate(messages=[{"role": "user", "content": "help me"}])
    question = asked["interaction"]
    assert question["type"] == "confirmation" and "SEND_MAIL" in question["title"]
    assert "ann@example.com" in question["message"]
    assert len(fake_openai.requests) == 1
    answer = app.answer(question["id"], True)
    assert answer["content"] == "Sent it to Ann."
    # The model's first step came from the journal: one more model call, not two.
    assert len(fake_openai.requests) == 2
    assert fake_openai.requests[1]["messages"][-1]["content"] == "sent to ann@example.com"
    sent = app.runtime.dispatcher.get("SEND_MAIL").__globals__["SENT"]
    assert sent == ["ann@example.com"]
