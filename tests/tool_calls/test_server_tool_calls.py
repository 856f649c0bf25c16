"""`/v1/chat/completions` passes the main model's tool calls through to the `openai` SDK's own
client (a real `dialog-rails serve` process on loopback, a scripted model endpoint): whole,
streamed, on a thread, blocked by a tool output rail; bad shapes are 400s naming the field."""
from __future__ import annotations

import json

import httpx
import openai
import pytest

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}

GUARD = '''
define subflow check tool calls
  if $tool_calls[0].args.city == "Mordor"
    bot refuse tool call
    stop

define bot refuse tool call
  "I can't look that up."
'''


@pytest.fixture
def server(config_folder, scripted_model, serve):
    folder = config_folder("tools", {"config.yml": scripted_model.yaml(
        "rails:\n  tool_output:\n    flows: [check tool calls]\n"), "rails.co": GUARD})
    config_folder("plain", {"config.yml": scripted_model.yaml().replace(
        "passthrough: true\n", "")})
    config_folder("open", {"config.yml": scripted_model.yaml()})  # no rails at all
    return serve("--config-dir", str(folder.parent), "--default-config", "tools",
                 "--threads-db", str(folder.parent.parent / "threads.sqlite3"))


def client_for(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key="x", max_retries=0,
                         timeout=30)


def run_tool(call) -> str:
    assert call.function.name == "get_weather"
    return f"12 degrees in {json.loads(call.function.arguments)['city']}"


def test_full_round_trip_with_the_openai_client(server, scripted_model):
    scripted_model.script = [
        scripted_model.tools(("call_1", "get_weather", {"city": "Oslo"})),
        scripted_model.text("It is 12 degrees in Oslo."),
    ]
    client = client_for(server)
    messages = [{"role": "user", "content": "Weather in Oslo?"}]
    first = client.chat.completions.create(model="tools", messages=messages, tools=[WEATHER],
                                           tool_choice="auto")
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [call] = choice.message.tool_calls
    assert (call.id, call.type, call.function.name) == ("call_1", "function", "get_weather")
    assert json.loads(call.function.arguments) == {"city": "Oslo"}
    assert scripted_model.requests[0]["tools"] == [WEATHER]
    assert scripted_model.requests[0]["tool_choice"] == "auto"

    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": run_tool(call)}]
    final = client.chat.completions.create(model="tools", messages=messages, tools=[WEATHER])
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].message.content == "It is 12 degrees in Oslo."
    assert final.choices[0].message.tool_calls is None
    sent = scripted_model.requests[1]["messages"]
    assert sent[1]["tool_calls"][0]["id"] == "call_1"
    assert sent[2] == {"role": "tool", "tool_call_id": "call_1",
                       "content": "12 degrees in Oslo"}


def test_a_thread_keeps_the_tool_messages(server, scripted_model):
    scripted_model.script = [
        scripted_model.tools(("call_7", "get_weather", {"city": "Bergen"})),
        scripted_model.text("Rainy in Bergen."),
    ]
    client = client_for(server)
    thread = {"thread_id": "thread-with-tools-0001"}
    first = client.chat.completions.create(
        model="tools", messages=[{"role": "user", "content": "Weather in Bergen?"}],
        tools=[WEATHER], extra_body=thread)
    [call] = first.choices[0].message.tool_calls
    final = client.chat.completions.create(
        model="tools", tools=[WEATHER], extra_body=thread,
        messages=[{"role": "tool", "tool_call_id": call.id, "content": run_tool(call)}])
    assert final.choices[0].message.content == "Rainy in Bergen."
    sent = scripted_model.requests[1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    assert sent[1]["tool_calls"][0]["function"]["arguments"] == '{"city": "Bergen"}'
    stored = httpx.get(f"{server.base_url}/v1/threads/{thread['thread_id']}").json()
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "tool",
                                                       "assistant"]
    assert stored["messages"][1]["tool_calls"][0]["id"] == "call_7"
    assert stored["messages"][2]["tool_call_id"] == "call_7"


def test_streamed_tool_calls_parse_in_the_openai_client(server, scripted_model):
    scripted_model.script = [
        scripted_model.tools(("call_s1", "get_weather", {"city": "Oslo"}),
                             ("call_s2", "get_weather", {"city": "Rome"})),
        scripted_model.tools(("call_s3", "get_weather", {"city": "Paris"})),
    ]
    client = client_for(server)
    # (no rails: the model's answer streams through as it comes; with tool rails, the calls
    # wait for them, as in the other streamed test below)
    chunks = list(client.chat.completions.create(
        model="open", stream=True, tools=[WEATHER],
        messages=[{"role": "user", "content": "Oslo and Rome?"}]))
    assert scripted_model.requests[0].get("stream") is True
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    pieces: dict[int, dict] = {}
    for chunk in chunks:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            entry = pieces.setdefault(delta.index, {"id": None, "name": "", "arguments": ""})
            entry["id"] = delta.id or entry["id"]
            if delta.function is not None:
                entry["name"] += delta.function.name or ""
                entry["arguments"] += delta.function.arguments or ""
    assert pieces == {0: {"id": "call_s1", "name": "get_weather",
                          "arguments": '{"city": "Oslo"}'},
                      1: {"id": "call_s2", "name": "get_weather",
                          "arguments": '{"city": "Rome"}'}}

    # The SDK's streaming helper assembles them too.
    with client.chat.completions.stream(
            model="tools", tools=[WEATHER],
            messages=[{"role": "user", "content": "Paris?"}]) as stream:
        for _ in stream:
            pass
        completion = stream.get_final_completion()
    [call] = completion.choices[0].message.tool_calls
    assert (call.id, call.function.name) == ("call_s3", "get_weather")
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert completion.choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("stream", [False, True])
def test_a_tool_output_rail_blocks_the_call(server, scripted_model, stream):
    scripted_model.script = [scripted_model.tools(("call_m", "get_weather",
                                                   {"city": "Mordor"}))]
    client = client_for(server)
    request = dict(model="tools", tools=[WEATHER],
                   messages=[{"role": "user", "content": "Weather in Mordor?"}])
    if stream:
        chunks = list(client.chat.completions.create(stream=True, **request))
        assert not any(chunk.choices[0].delta.tool_calls for chunk in chunks if chunk.choices)
        text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks
                       if chunk.choices)
        assert chunks[-1].choices[0].finish_reason == "stop"
    else:
        answer = client.chat.completions.create(**request).choices[0]
        assert answer.message.tool_calls is None and answer.finish_reason == "stop"
        text = answer.message.content
    assert text == "I can't look that up."


@pytest.mark.parametrize("body, param", [
    ({"tools": {"type": "function"}}, "tools"),
    ({"tools": [{"type": "function", "function": {"name": "bad name!"}}]},
     "tools[0].function.name"),
    ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "tools[0].type"),
    ({"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "nope"}}},
     "tool_choice.function.name"),
    ({"tools": [WEATHER], "tool_choice": "sometimes"}, "tool_choice"),
    ({"tools": [WEATHER], "parallel_tool_calls": "yes"}, "parallel_tool_calls"),
    ({"messages": [{"role": "user", "content": "q"},
                   {"role": "assistant", "tool_calls": [{"id": "a", "type": "function",
                                                         "function": {"name": "f"}}]}]},
     "messages[1].tool_calls[0].function.arguments"),
    ({"messages": [{"role": "user", "content": "q"},
                   {"role": "assistant", "content": None, "tool_calls": [
                       {"id": "a", "type": "function",
                        "function": {"name": "f", "arguments": "{}"}}]},
                   {"role": "tool", "content": "r"}]}, "messages[2]"),
    ({"messages": [{"role": "user", "content": "q"},
                   {"role": "tool", "tool_call_id": "a", "content": "r"}]}, "messages[1]"),
    ({"messages": [{"role": "function", "name": "f", "content": "r"}]}, "messages[0].role"),
])
def test_bad_shapes_are_400s_naming_the_field(server, scripted_model, body, param):
    payload = {"model": "tools", "messages": [{"role": "user", "content": "hi"}], **body}
    response = httpx.post(server.base_url + "/v1/chat/completions", json=payload, timeout=30)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param, error
    assert scripted_model.requests == []


def test_a_config_not_in_passthrough_mode_refuses_tools(server, scripted_model):
    client = client_for(server)
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="plain", tools=[WEATHER],
                                       messages=[{"role": "user", "content": "hi"}])
    assert raised.value.body["param"] == "tools"
    assert "passthrough" in raised.value.body["message"]
    # Without tools, the same config answers as before.
    scripted_model.script = [scripted_model.text("Hello.")]
    answer = client.chat.completions.create(model="plain",
                                            messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content == "Hello."
    assert "tools" not in scripted_model.requests[0]
