"""Remote actions against a real actions server subprocess (and tiny loopback servers for
answers a correct server never gives)."""
from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rails.actions import ActionDispatcher, ActionResult, action
from rails.actions.remote import RemoteActionsClient
from rails.errors import ActionNotFoundError, RemoteActionError


def client_for(server, **options) -> RemoteActionsClient:
    options.setdefault("token", server.token)
    return RemoteActionsClient(server.url, **options)


def local_with(*actions) -> ActionDispatcher:
    dispatcher = ActionDispatcher(load_all_actions=False)
    for fn in actions:
        dispatcher.register_action(fn)
    return dispatcher


@action()
async def echo(value, tag: str = ""):
    return f"local:{value}"


@action(is_system_action=True)
async def local_system(value, context=None):
    return f"system:{value}:{context['who']}"


async def test_keyword_positional_and_reference_parameters(actions_server):
    client = client_for(actions_server)
    dispatcher = local_with(echo, local_system)
    context = {"who": "Ada", "n": 4}
    try:
        outcome = await dispatcher.execute("echo", {"value": "$who", "tag": "t:"},
                                           context=context, events=[], injected={},
                                           remote=client)
        assert (outcome.status, outcome.return_value, outcome.remote) == ("success", "t:Ada",
                                                                           True)
        outcome = await dispatcher.execute("add", {"$1": "$n", "$2": 5}, context=context,
                                           events=[], injected={}, remote=client)
        assert outcome.return_value == 9 and outcome.remote
        # System actions never leave the process.
        outcome = await dispatcher.execute("local_system", {"value": 1}, context=context,
                                           events=[], injected={}, remote=client)
        assert (outcome.return_value, outcome.remote) == ("system:1:Ada", False)
    finally:
        await client.aclose()


async def test_action_only_known_to_the_server(actions_server):
    client = client_for(actions_server)
    dispatcher = local_with()
    try:
        outcome = await dispatcher.execute("sync_upper", {"text": "$t"}, context={"t": "abc"},
                                           events=[], injected={}, remote=client)
        assert (outcome.status, outcome.return_value) == ("success", "ABC")
        missing = await dispatcher.execute("no_such_action", {}, context={}, events=[],
                                           injected={}, remote=client)
        assert missing.status == "failed" and isinstance(missing.error, ActionNotFoundError)
        assert "nor on the actions server" in str(missing.error)
        assert isinstance(missing.error.__cause__, RemoteActionError)
        assert missing.error.__cause__.status == 404
    finally:
        await client.aclose()


async def test_action_result_crosses_the_wire(actions_server):
    client = client_for(actions_server)
    try:
        result = await client.run("with_result", {"x": 5})
        assert result == ActionResult(return_value={"x": 5}, context_updates={"last_x": 5},
                                      events=[{"type": "CustomEvent", "x": 5}])
        outcome = await local_with().execute("with_result", {"x": 2}, remote=client)
        assert (outcome.return_value, outcome.context_updates, outcome.events) == (
            {"x": 2}, {"last_x": 2}, [{"type": "CustomEvent", "x": 2}])
    finally:
        await client.aclose()


async def test_special_parameters_are_not_sent_or_injected_remotely(actions_server):
    client = client_for(actions_server)
    try:
        outcome = await local_with().execute(
            "injected_names", {}, context={"a": 1}, events=[{"type": "X"}],
            injected={"config": "CFG", "llm": "LLM"}, remote=client)
        assert outcome.return_value == {"context": None, "events": None, "config": None,
                                        "llm": None}
    finally:
        await client.aclose()


async def test_list_and_health(actions_server):
    async with httpx.AsyncClient(base_url=actions_server.url,
                                 headers=actions_server.headers) as http:
        health = (await http.get("/health")).json()
        listed = (await http.get("/v1/actions/list")).json()
    assert health["status"] == "ok" and health["actions"] == len(listed)
    by_name = {item["name"]: item for item in listed}
    assert by_name["add"] == {
        "name": "add", "is_system_action": False, "description": "Add two numbers.",
        "parameters": {"type": "object", "required": ["a"],
                       "properties": {"a": {"type": "integer"},
                                      "b": {"type": "integer", "default": 0}}},
        "similes": [],
        "annotations": {"readOnlyHint": False, "destructiveHint": True,
                        "idempotentHint": False, "openWorldHint": True}}
    assert by_name["system_only"]["is_system_action"] is True
    assert by_name["system_only"]["description"] == "A system action kept for the listing test."
    # Injected parameters are not part of what a caller supplies.
    assert by_name["injected_names"]["parameters"]["properties"] == {}


async def test_action_failure_is_a_500_without_traceback(actions_server):
    client = client_for(actions_server)
    try:
        with pytest.raises(RemoteActionError) as caught:
            await client.run("explode", {"reason": "disk full"})
    finally:
        await client.aclose()
    error = caught.value
    assert error.status == 500 and error.reason == "http error"
    assert "RuntimeError: disk full" in str(error) and "Traceback" not in str(error)
    assert error.url == f"{actions_server.url}/v1/actions/run"
    assert error.action_name == "explode"


async def test_result_that_is_not_json(actions_server):
    client = client_for(actions_server)
    try:
        with pytest.raises(RemoteActionError, match="ResultNotSerializable.*object"):
            await client.run("not_json", {})
    finally:
        await client.aclose()


async def test_parameters_that_are_not_json(actions_server):
    client = client_for(actions_server)
    with pytest.raises(RemoteActionError, match="parameter 'value' cannot be sent as JSON"):
        await client.run("echo", {"value": object()})


async def test_bad_requests_get_400(actions_server):
    async with httpx.AsyncClient(base_url=actions_server.url,
                                 headers=actions_server.headers) as http:
        not_json = await http.post("/v1/actions/run", content=b"{nope")
        no_name = await http.post("/v1/actions/run", json={"action_parameters": {}})
        bad_params = await http.post("/v1/actions/run",
                                     json={"action_name": "echo", "action_parameters": [1]})
    for response, words in ((not_json, "not valid JSON"), (no_name, "action_name"),
                            (bad_params, "action_parameters")):
        assert response.status_code == 400
        body = response.json()
        assert body["status"] == "failed" and body["error"]["type"] == "BadRequest"
        assert words in body["error"]["message"]


async def test_oversized_payload_gets_413(actions_server):
    client = client_for(actions_server)
    try:
        with pytest.raises(RemoteActionError) as caught:
            await client.run("echo", {"value": "x" * (1024 * 1024 + 10)})
        assert caught.value.status == 413 and "larger than 1048576 bytes" in str(caught.value)
        # The server is still fine afterwards.
        assert await client.run("echo", {"value": "small"}) == "small"
    finally:
        await client.aclose()


async def test_client_timeout_and_server_timeout(actions_server):
    client = client_for(actions_server, timeout=0.3)
    try:
        with pytest.raises(RemoteActionError) as caught:
            await client.run("nap", {"seconds": 0.8})
        assert caught.value.reason == "timeout" and caught.value.status is None
    finally:
        await client.aclose()
    # The server was started with --timeout 1.
    client = client_for(actions_server)
    try:
        with pytest.raises(RemoteActionError) as caught:
            await client.run("nap", {"seconds": 3})
        assert caught.value.status == 504 and "did not finish within 1s" in str(caught.value)
    finally:
        await client.aclose()


async def test_fifty_concurrent_calls_do_not_mix_up(actions_server):
    client = client_for(actions_server)
    try:
        results = await asyncio.gather(*(
            client.run("nap", {"seconds": 0.01 * (i % 5), "value": {"i": i, "s": f"v{i}"}})
            for i in range(50)))
        assert results == [{"i": i, "s": f"v{i}"} for i in range(50)]
    finally:
        await client.aclose()


async def test_sync_actions_run_concurrently_in_threads(actions_server):
    client = client_for(actions_server)
    try:
        started = time.perf_counter()
        # More than the default executor's CPUs + 4 threads: the server's pool has 32.
        results = await asyncio.gather(*(client.run("blocking_nap", {"seconds": 0.4, "value": i})
                                         for i in range(20)))
        elapsed = time.perf_counter() - started
    finally:
        await client.aclose()
    assert results == list(range(20))
    # One after the other they would take 8 s; concurrently well under half of that.
    assert elapsed < 4.0, f"20 blocking actions of 0.4s took {elapsed:.2f}s: not concurrent"


async def test_base_url_path_is_replaced(actions_server):
    client = RemoteActionsClient(actions_server.url + "/some/prefix/", token=actions_server.token)
    try:
        assert client.run_url == f"{actions_server.url}/v1/actions/run"
        assert await client.run("echo", {"value": 1}) == 1
    finally:
        await client.aclose()


async def test_bearer_token_accepted_and_refused(token_server):
    good = client_for(token_server, token="s3cret-token")
    wrong = client_for(token_server, token="s3cret-tokeN")
    missing = client_for(token_server, token="")
    try:
        assert await good.run("echo", {"value": "in"}) == "in"
        for client in (wrong, missing):
            with pytest.raises(RemoteActionError) as caught:
                await client.run("echo", {"value": "in"})
            assert caught.value.status == 401 and "bearer token" in str(caught.value)
        async with httpx.AsyncClient(base_url=token_server.url) as http:
            assert (await http.get("/v1/actions/list")).status_code == 401
            assert (await http.get("/health")).status_code == 200
    finally:
        for client in (good, wrong, missing):
            await client.aclose()


async def test_token_from_the_environment(server_factory, monkeypatch):
    server = server_factory(env={"DIALOG_RAILS_ACTIONS_TOKEN": "from-env"}, token=None)
    monkeypatch.setenv("DIALOG_RAILS_ACTIONS_TOKEN", "from-env")
    client = client_for(server)
    try:
        assert client.token == "from-env"
        assert await client.run("add", {"a": 1, "b": 2}) == 3
    finally:
        await client.aclose()
    monkeypatch.delenv("DIALOG_RAILS_ACTIONS_TOKEN")
    with pytest.raises(RemoteActionError, match="401"):
        await client_for(server, token=None).run("add", {"a": 1})


async def test_server_down(unused_port):
    client = RemoteActionsClient(f"http://127.0.0.1:{unused_port}", retries=2)
    with pytest.raises(RemoteActionError) as caught:
        await client.run("echo", {"value": 1})
    error = caught.value
    assert error.reason == "connection failed" and "3 attempt(s)" in str(error)
    assert f"127.0.0.1:{unused_port}/v1/actions/run" in str(error)
    assert isinstance(error.__cause__, ConnectionRefusedError)
    outcome = await local_with(echo).execute("echo", {"value": 1}, remote=client)
    assert outcome.status == "failed" and outcome.error.reason == "connection failed"


async def test_connection_failures_are_retried_until_the_server_is_up(respond, unused_port):
    client = RemoteActionsClient(f"http://127.0.0.1:{unused_port}", retries=5)
    reply = respond(b'{"status": "success", "result": "late"}')

    async def answer(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(line for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))
        await reader.readexactly(int(length.split(b":")[1]))
        writer.write(reply)
        await writer.drain()
        writer.close()

    async def start_late():
        await asyncio.sleep(0.05)  # the first attempts find nobody listening
        return await asyncio.start_server(answer, "127.0.0.1", unused_port)

    starter = asyncio.create_task(start_late())
    try:
        assert await client.run("echo", {"value": 1}) == "late"
    finally:
        (await starter).close()
        await client.aclose()


async def test_no_retry_once_the_request_was_sent(tiny_server):
    server = await tiny_server(lambda body: None)  # reads the request, then hangs up
    client = RemoteActionsClient(server.url, retries=3)
    with pytest.raises(RemoteActionError) as caught:
        await client.run("echo", {"value": 1})
    assert caught.value.reason == "transport error"
    assert len(server.requests) == 1


async def test_invalid_json_and_odd_answers(tiny_server, respond):
    cases = [
        (respond(b"<html>oops</html>", content_type="text/html"), "invalid JSON",
         "not valid JSON"),
        (respond(b"[1, 2]"), "invalid response", "not an object with a `status`"),
        (respond(b'{"status": "failed", "result": null}'), "action failed",
         "reported the action as failed"),
        (respond(b'{"detail": "Not Found"}', status="404 Not Found"), "unknown action",
         "HTTP 404"),
        (respond(b"upstream broke", status="502 Bad Gateway", content_type="text/plain"),
         "http error", "HTTP 502: upstream broke"),
    ]
    for answer, reason, words in cases:
        server = await tiny_server(lambda body, answer=answer: answer)
        with pytest.raises(RemoteActionError) as caught:
            await RemoteActionsClient(server.url, retries=0).run("echo", {"value": 1})
        assert caught.value.reason == reason, answer
        assert words in str(caught.value)


async def test_reference_wire_format_is_understood(tiny_server, respond):
    server = await tiny_server(lambda body: respond(b'{"status": "success", "result": "42"}'))
    client = RemoteActionsClient(server.url, token="tok")
    assert await client.run("echo", {"value": "$x", "n": [1, 2]}) == "42"
    assert json.loads(server.requests[0]) == {"action_name": "echo",
                                             "action_parameters": {"value": "$x", "n": [1, 2]}}


async def test_chains_and_system_actions_stay_local(unused_port):
    class LocalChain:
        input_keys, output_keys = ["q"], ["a"]

        async def ainvoke(self, inputs):
            return {"a": inputs["q"] * 2}

    dispatcher = local_with(local_system)
    dispatcher.register_action(LocalChain(), name="chain")
    # Nothing listens there: anything sent remotely would fail.
    client = RemoteActionsClient(f"http://127.0.0.1:{unused_port}", retries=0)
    chain = await dispatcher.execute("chain", {"q": "ab"}, context={}, remote=client)
    assert (chain.status, chain.return_value, chain.remote) == ("success", "abab", False)
    system = await dispatcher.execute("local_system", {"value": 1}, context={"who": "me"},
                                      remote=client)
    assert system.return_value == "system:1:me"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_any_json_value_round_trips(actions_server, value):
    async def call():
        client = client_for(actions_server)
        try:
            return await client.run("echo", {"value": value})
        finally:
            await client.aclose()

    assert asyncio.run(call()) == value
