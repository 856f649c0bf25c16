"""The HTTP API in-process: request validation, config selection, response shapes. The
rails are a stand-in here (see conftest); the real engine is driven in test_server_process."""
from __future__ import annotations

import asyncio

import pytest

from rails.errors import ColangSyntaxError, LLMCallError


async def test_completion_has_openai_shape_and_nemo_messages(echo_app):
    app = await echo_app("shop")
    response = await app.chat(messages=[{"role": "user", "content": "hello"}])
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["id"].startswith("chatcmpl-")
    assert isinstance(body["created"], int)
    assert body["model"] == "shop"
    assert body["choices"] == [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                "message": {"role": "assistant", "content": "shop: hello #1"}}]
    assert body["usage"] == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    assert body["messages"] == [{"role": "assistant", "content": "shop: hello #1"}]
    assert "log" not in body  # not asked for


async def test_model_config_id_and_default_select_the_config(echo_app):
    app = await echo_app("alpha", "beta", default="beta")
    assert (await app.chat(model="alpha")).json()["choices"][0]["message"]["content"] \
        == "alpha: hi #1"
    assert (await app.chat(config_id="alpha")).json()["model"] == "alpha"
    assert (await app.chat()).json()["model"] == "beta"


async def test_config_ids_combine_configs_in_order(echo_app):
    app = await echo_app("alpha", "beta")
    body = (await app.chat(config_ids=["beta", "alpha"])).json()
    assert body["model"] == "beta+alpha"
    assert app.loader.loads == [["beta", "alpha"]]


async def test_unknown_config_is_404_listing_the_available_ones(echo_app):
    app = await echo_app("alpha", "beta")
    for request in ({"config_id": "gamma"}, {"model": "gpt-4o"},
                    {"config_ids": ["alpha", "nope"]}):
        response = await app.chat(**request)
        assert response.status_code == 404, request
        error = response.json()["error"]
        assert error["code"] == "config_not_found"
        assert "alpha, beta" in error["message"]
        assert error["available"] == ["alpha", "beta"]


async def test_no_config_named_with_several_and_no_default_is_400(echo_app):
    app = await echo_app("alpha", "beta")
    response = await app.chat()
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "config_required"
    assert "available: alpha, beta" in response.json()["error"]["message"]


async def test_the_only_config_is_the_default(echo_app):
    app = await echo_app("solo")
    assert (await app.chat()).json()["model"] == "solo"


async def test_path_like_config_ids_are_not_found(echo_app):
    app = await echo_app("alpha")
    for config_id in ("../alpha", "alpha/..", "/etc"):
        assert (await app.chat(config_id=config_id)).status_code == 404


@pytest.mark.parametrize("body, param, words", [
    ({"messages": []}, "messages", "non-empty"),
    ({"messages": "hi"}, "messages", "non-empty"),
    ({"messages": [{"content": "x"}]}, "messages[0].role", "role"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0]", "unknown role"),
    ({"messages": [{"role": "user", "content": 3}]}, "messages[0]", "string 'content'"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0]", "tool_call_id"),
    ({"messages": [{"role": "function", "name": "f", "content": "x"}]}, "messages[0].role",
     "legacy function calling"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
     "messages[0].content", "image_url"),
    ({"thread_id": "short"}, "thread_id", "16 to 255"),
    ({"config_id": "a", "config_ids": ["a"]}, "config_ids", "not both"),
    ({"config_ids": []}, "config_ids", "non-empty"),
    ({"n": 2}, "n", "n: 1"),
    ({"stream": "yes"}, "stream", "true or false"),
    ({"options": {"rails": {"input": "maybe"}}}, "options", "rails.input"),
    ({"options": {"unknown_option": 1}}, "options", "unknown_option"),
    ({"options": []}, "options", "object"),
    ({"context": "x"}, "context", "object"),
    ({"state": {"events": []}, "stream": True}, "state", "stream"),
])
async def test_invalid_bodies_get_400_naming_the_field(echo_app, body, param, words):
    app = await echo_app("solo")
    response = await app.chat(**body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert words in error["message"]
    assert app.loader.instances.get("solo") is None or not app.loader.instances["solo"].calls


async def test_missing_messages_and_non_json_bodies(echo_app):
    app = await echo_app("solo")
    missing = await app.client.post("/v1/chat/completions", json={"model": "solo"})
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "missing_field"
    not_json = await app.client.post("/v1/chat/completions", content=b"{not json",
                                     headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    assert "not valid JSON" in not_json.json()["error"]["message"]
    empty = await app.client.post("/v1/chat/completions")
    assert empty.status_code == 400 and "empty" in empty.json()["error"]["message"]
    array = await app.client.post("/v1/chat/completions", json=[1, 2])
    assert array.status_code == 400 and "JSON object" in array.json()["error"]["message"]


async def test_oversized_body_is_413(echo_app):
    app = await echo_app("solo", max_body_bytes=1000)
    response = await app.chat(messages=[{"role": "user", "content": "x" * 2000}])
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["error"]["message"]


async def test_text_parts_are_joined_and_developer_counts_as_system(echo_app):
    app = await echo_app("solo")
    response = await app.chat(messages=[
        {"role": "developer", "content": "be nice"},
        {"role": "user", "content": [{"type": "text", "text": "hel"},
                                     {"type": "text", "text": "lo"}]}])
    assert response.json()["choices"][0]["message"]["content"] == "solo: hello #1"
    sent = app.loader.instances["solo"].calls[0]["messages"]
    assert sent == [{"role": "system", "content": "be nice"},
                    {"role": "user", "content": "hello"}]


async def test_options_context_and_sampling_parameters_reach_the_rails(echo_app):
    app = await echo_app("solo")
    await app.chat(context={"user_name": "Ann"}, temperature=0.2, max_tokens=50,
                   options={"rails": ["input"], "llm_params": {"temperature": 0.9}})
    call = app.loader.instances["solo"].calls[0]
    assert call["messages"][0] == {"role": "context", "content": {"user_name": "Ann"}}
    options = call["options"]
    assert options.rails.input is True and options.rails.output is False
    assert options.llm_params == {"temperature": 0.9, "max_tokens": 50}


async def test_log_is_returned_when_asked(echo_app):
    app = await echo_app("solo")
    body = (await app.chat(options={"log": {"colang_history": True}})).json()
    assert body["log"]["colang_history"] == 'user "hi"'
    assert body["log"]["stats"]["llm_calls_total_tokens"] == 10


async def test_state_round_trip_is_sealed_by_the_server(echo_app):
    app = await echo_app("solo")
    body = (await app.chat(state={"events": []})).json()
    assert app.loader.instances["solo"].calls[0]["state"] == {}  # a new conversation
    assert set(body["state"]) == {"format", "data", "signature"}
    again = (await app.chat(state=body["state"],
                            messages=[{"role": "user", "content": "two"}])).json()
    assert again["choices"][0]["message"]["content"] == "solo: two #2"
    passed = app.loader.instances["solo"].calls[1]["state"]
    assert [event["message"]["content"] for event in passed["events"]] == ["hi", "solo: hi #1"]


async def test_configs_are_loaded_once_even_under_concurrent_first_requests(echo_app):
    app = await echo_app("solo", "other")
    responses = await asyncio.gather(*[app.chat(model="solo") for _ in range(8)])
    assert all(response.status_code == 200 for response in responses)
    await app.chat(model="solo")
    assert app.loader.loads == [["solo"]]


async def test_concurrent_requests_are_answered_independently(echo_app):
    app = await echo_app("solo", delay=0.2)
    texts = [f"message {n}" for n in range(10)]
    started = asyncio.get_running_loop().time()
    responses = await asyncio.gather(*[
        app.chat(messages=[{"role": "user", "content": text}]) for text in texts])
    elapsed = asyncio.get_running_loop().time() - started
    assert [r.json()["choices"][0]["message"]["content"] for r in responses] == [
        f"solo: {text} #1" for text in texts]
    assert elapsed < 0.2 * 10 * 0.75  # one after the other they would take 2 s


async def test_broken_config_is_a_500_naming_the_file(echo_app):
    app = await echo_app("solo", load_errors={"solo": ColangSyntaxError(
        "expected a flow name", file="solo/flows.co", line=3, column=8)})
    response = await app.chat()
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "config_error"
    assert "solo/flows.co:3:8" in error["message"]
    app.loader.load_errors.clear()  # the user fixes the file: no restart needed
    assert (await app.chat()).status_code == 200


async def test_engine_failures_map_to_http_errors(echo_app):
    app = await echo_app("llm", "bad", "boom", per_config={
        "llm": {"fail_with": LLMCallError("status 503 from http://127.0.0.1:9/v1", status=503)},
        "bad": {"fail_with": ValueError("`state` must be a dict")},
        "boom": {"fail_with": KeyError("oops")}})
    llm = await app.chat(model="llm")
    assert llm.status_code == 502 and "status 503" in llm.json()["error"]["message"]
    bad = await app.chat(model="bad")
    assert bad.status_code == 400 and "`state` must be a dict" in bad.json()["error"]["message"]
    boom = await app.chat(model="boom")
    assert boom.status_code == 500 and "KeyError" in boom.json()["error"]["message"]


async def test_listing_endpoints(echo_app):
    app = await echo_app("alpha", "beta")
    models = (await app.client.get("/v1/models")).json()
    assert models["object"] == "list"
    assert [item["id"] for item in models["data"]] == ["alpha", "beta"]
    assert all(item["object"] == "model" for item in models["data"])
    assert (await app.client.get("/v1/models/beta")).json()["id"] == "beta"
    assert (await app.client.get("/v1/models/zeta")).status_code == 404
    assert (await app.client.get("/v1/rails/configs")).json() == [{"id": "alpha"},
                                                                 {"id": "beta"}]
    assert (await app.client.get("/health")).json() == {"status": "ok"}


async def test_unknown_routes_and_methods_get_json_errors(echo_app):
    app = await echo_app("solo")
    missing = await app.client.get("/v1/nothing")
    assert missing.status_code == 404
    assert "GET /v1/nothing" in missing.json()["error"]["message"]
    wrong_method = await app.client.get("/v1/chat/completions")
    assert wrong_method.status_code == 405
    assert "error" in wrong_method.json()


async def test_new_config_folders_appear_without_restart(echo_app):
    app = await echo_app("alpha")
    (app.registry.root / "late").mkdir()
    (app.registry.root / "late" / "flows.co").write_text("define user hi\n  \"hi\"\n")
    (app.registry.root / "_private").mkdir()
    (app.registry.root / "_private" / "config.yml").write_text("")
    assert [m["id"] for m in (await app.client.get("/v1/models")).json()["data"]] == [
        "alpha", "late"]
    assert (await app.chat(model="late")).status_code == 200


async def test_values_json_cannot_hold_travel_as_text(echo_app):
    import datetime

    app = await echo_app("solo", output_data={"when": datetime.date(2026, 1, 2)})
    response = await app.chat(options={"output_vars": ["when"]})
    assert response.status_code == 200
    assert response.json()["output_data"] == {"when": "2026-01-02"}
