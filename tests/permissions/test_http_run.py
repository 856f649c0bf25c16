"""Permissions of `POST /v1/actions/run` (rails.policy, caller `http`): the actions server as a
real process, the user from the identity headers, a fake OpenAI-compatible model endpoint."""
from __future__ import annotations

import httpx
import pytest

from tests.declared_actions.conftest import FakeChatEndpoint, start_served
from tests.folders import write_files


def served_folder(root, base_url: str):
    return write_files(root, {
        "config.yml": f"""
            models:
              - type: main
                engine: openai
                model: main-model
                parameters: {{base_url: "{base_url}", api_key: k, timeout: 5}}
            declared_actions:
              - action_name: shout
                kind: llm
                template: "Say loudly: {{{{text}}}}"
            actions_metadata:
              shout: {{roles: [announcer]}}
            """,
        "actions.py": """
            from rails.actions import action


            @action()
            async def word_count(text: str) -> int:
                return len(text.split())


            @action(read_only=True, roles=["admin"])
            async def admin_report() -> str:
                return "the secret figures"


            @action(callers=["flow"])
            async def flow_only() -> str:
                return "ran"


            @action(organisations=["acme"], similes=["ACME_DATA"])
            async def acme_only() -> str:
                return "acme data"
            """})


@pytest.fixture(scope="module")
def endpoint():
    fake = FakeChatEndpoint()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def server(endpoint, tmp_path_factory):
    folder = served_folder(tmp_path_factory.mktemp("served"), endpoint.base_url)
    started = start_served("--config", str(folder), "--actions-db",
                           str(tmp_path_factory.mktemp("db") / "actions.sqlite3"))
    yield started
    started.stop()


def run(server, body, **headers) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/actions/run", json=body, headers=headers, timeout=10)


def action(name: str, **params) -> dict:
    return {"action_name": name, "action_parameters": params}


def test_actions_without_permission_keys_run_for_anyone(server):
    answer = run(server, action("word_count", text="one two three"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "success", "result": 3}


def test_a_missing_role_is_a_403_naming_action_caller_and_rule(server):
    denied = run(server, action("admin_report"), **{"X-User-Id": "u-7",
                                                     "X-User-Roles": "support"})
    assert denied.status_code == 403
    assert denied.json() == {"status": "failed", "error": {
        "type": "PermissionDenied",
        "message": "permission denied: action 'admin_report' needs one of the roles admin; "
                   "the user is u-7 with roles support",
        "action": "admin_report", "caller": "http", "rule": "roles"}}
    allowed = run(server, action("admin_report"), **{"X-User-Roles": "support, admin"})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["result"] == "the secret figures"


def test_an_action_for_other_callers_is_refused_whoever_asks(server):
    denied = run(server, action("flow_only"), **{"X-User-Roles": "admin"})
    assert denied.status_code == 403
    error = denied.json()["error"]
    assert (error["action"], error["caller"], error["rule"]) == ("flow_only", "http",
                                                                 "callers")
    assert "may not be run by the caller `http` (allowed: flow)" in error["message"]


def test_the_refusal_comes_before_the_parameter_check(server):
    denied = run(server, action("admin_report", unexpected="x"))
    assert denied.status_code == 403  # not 422: a refused caller learns no signature
    assert denied.json()["error"]["rule"] == "roles"


def test_organisations_come_from_x_org_id(server):
    assert run(server, action("acme_only")).status_code == 403
    other = run(server, action("acme_only"), **{"X-Org-Id": "globex"})
    assert other.status_code == 403
    assert other.json()["error"]["rule"] == "organisations"
    assert "not available to organisation globex" in other.json()["error"]["message"]
    mine = run(server, action("ACME_DATA"), **{"X-Org-Id": "acme"})  # a simile
    assert mine.status_code == 200, mine.text
    assert mine.json()["result"] == "acme data"


def test_a_config_declared_llm_action_takes_its_permissions_from_actions_metadata(
        server, endpoint):
    endpoint.replies = ["HELLO!"]
    denied = run(server, action("shout", text="hello"))
    assert denied.status_code == 403
    assert denied.json()["error"]["rule"] == "roles"
    assert endpoint.requests == []  # the model was never asked
    allowed = run(server, action("shout", text="hello"), **{"X-User-Roles": "announcer"})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["result"] == "HELLO!"


def test_each_workflow_step_is_checked_and_a_refused_step_names_itself(server):
    steps = [{"type": "word_count", "properties": {"text": "@input.text"},
              "outputKey": "count"},
             {"type": "admin_report", "properties": {}, "outputKey": "report"}]
    denied = run(server, {"input": {"text": "a b"}, "steps": steps}, **{"X-Org-Id": "acme"})
    assert denied.status_code == 403
    error = denied.json()["error"]
    assert error["type"] == "PermissionDenied"
    assert (error["step"], error["action"], error["caller"], error["rule"]) == (
        1, "admin_report", "http", "roles")
    assert error["message"].startswith("step 1 (admin_report): permission denied:")
    allowed = run(server, {"input": {"text": "a b"}, "steps": steps},
                  **{"X-Org-Id": "acme", "X-User-Roles": "admin"})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["outputs"] == {"count": 2, "report": "the secret figures"}


def test_an_organisations_declared_action_can_require_a_role_and_limit_its_callers(
        server, endpoint):
    org = {"X-Org-Id": "perm-org"}
    body = {"action_name": "draft_reply", "kind": "llm", "template": "Reply to: {{text}}",
            "roles": ["editor"]}
    created = httpx.post(f"{server.url}/v1/actions", json=body, headers=org)
    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["editor"]
    endpoint.replies, endpoint.requests = ["Dear customer"], []
    denied = run(server, action("draft_reply", text="hi"), **org)
    assert denied.status_code == 403
    assert denied.json()["error"] == {
        "type": "PermissionDenied",
        "message": "permission denied: action 'draft_reply' needs one of the roles editor; "
                   "the user is anonymous with no role of organisation perm-org",
        "action": "draft_reply", "caller": "http", "rule": "roles"}
    assert endpoint.requests == []
    allowed = run(server, action("draft_reply", text="hi"), **org, **{"X-User-Roles": "editor"})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["result"] == "Dear customer"

    flows_only = {"action_name": "internal_note", "kind": "llm", "template": "{{text}}",
                  "callers": ["flow"]}
    assert httpx.post(f"{server.url}/v1/actions", json=flows_only,
                      headers=org).status_code == 201
    refused = run(server, action("internal_note", text="x"), **org)
    assert refused.status_code == 403
    assert refused.json()["error"]["rule"] == "callers"


def test_a_declaration_with_a_wrong_caller_is_a_422_naming_the_field(server):
    body = {"action_name": "bad_callers", "kind": "llm", "template": "{{text}}",
            "callers": ["robot"], "roles": "admin"}
    answer = httpx.post(f"{server.url}/v1/actions", json=body, headers={"X-Org-Id": "perm-org"})
    assert answer.status_code == 422
    problems = {p["field"]: p["message"] for p in answer.json()["error"]["problems"]}
    assert "unknown caller(s) robot" in problems["callers"]
    assert problems["roles"] == "expected a list of strings"


def test_each_refusal_is_in_the_servers_log(endpoint, tmp_path):
    folder = served_folder(tmp_path / "served", endpoint.base_url)
    server = start_served("--config", str(folder), "--actions-db",
                          str(tmp_path / "actions.sqlite3"))
    try:
        assert run(server, action("flow_only")).status_code == 403
        assert run(server, action("word_count", text="a")).status_code == 200
    finally:
        log = server.stop()
    assert "denied: action 'flow_only' may not be run by the caller `http`" in log
    assert "(caller http)" in log
    assert "word_count" not in log  # allowed runs are not warnings


async def test_mcp_applies_a_declared_actions_roles(server, endpoint):
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    org = {"X-Org-Id": "mcp-org"}
    body = {"action_name": "legal_summary", "kind": "llm", "template": "Sum up: {{text}}",
            "roles": ["legal"]}
    async with httpx.AsyncClient() as http:
        created = await http.post(f"{server.url}/v1/actions", json=body, headers=org)
    assert created.status_code == 201, created.text

    def client(**headers) -> Client:
        return Client(streamable_http_client(f"{server.url}/mcp",
                                             http_client=create_mcp_http_client(headers=headers)))

    endpoint.replies, endpoint.requests = ["summed up"], []
    async with client(**org) as mcp:
        assert "legal_summary" not in {t.name for t in (await mcp.list_tools()).tools}
        denied = await mcp.call_tool("legal_summary", {"text": "x"})
        assert denied.is_error
        assert "permission denied: action 'legal_summary' needs one of the roles legal" in \
            denied.content[0].text
    assert endpoint.requests == []
    async with client(**org, **{"X-User-Roles": "legal"}) as mcp:
        assert "legal_summary" in {t.name for t in (await mcp.list_tools()).tools}
        result = await mcp.call_tool("legal_summary", {"text": "x"})
        assert not result.is_error and result.content[0].text == "summed up"


async def test_an_engines_remote_run_refused_by_the_server_is_a_refusal_in_the_flow(
        server, write_config):
    from rails import LLMRails, RailsConfig

    folder = write_config({
        "config.yml": f"""
            actions_server_url: {server.url}
            rails:
              dialog:
                user_messages:
                  embeddings_only: true
                  embeddings_only_similarity_threshold: 0.5
                  embeddings_only_fallback_intent: ask for the report
            """,
        "flows.co": """
            define user ask for the report
              "show me the report"

            define flow report
              user ask for the report
              $report = execute admin_report
              bot say $report
            """})
    app = LLMRails(RailsConfig.from_path(str(folder)))
    answer = await app.generate_async(messages=[{"role": "user",
                                                 "content": "show me the report"}])
    assert answer["content"] == (
        "I'm sorry, I can't do that: permission denied: action 'admin_report' needs one of "
        "the roles admin; the user is anonymous with no role.")
    [decision] = app.explain().action_decisions
    assert (decision["action"], decision["caller"], decision["allowed"], decision["rule"]) == (
        "admin_report", "http", False, "roles")
    assert decision["reason"].endswith("(on the actions server)")
