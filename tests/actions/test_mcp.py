"""The actions server speaks MCP at /mcp (the `mcp` SDK's own client against our server
process), and a config turns an MCP server's tools into actions."""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from rails import LLMRails, RailsConfig

SERVED = Path(__file__).resolve().parent / "served_mcp"
TOKEN = "mcp-test-token"


@pytest.fixture(scope="module")
def mcp_server(launch_actions_server):
    server = launch_actions_server(config=SERVED, token=TOKEN)
    yield server
    server.stop()


def client(server, **headers) -> Client:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {TOKEN}", **headers})
    return Client(streamable_http_client(f"{server.url}/mcp", http_client=http))


async def test_tools_list_gives_schemas_and_annotations(mcp_server):
    async with client(mcp_server) as mcp:
        tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
    # admin_report needs a role, acme_only an organisation: not listed for this caller.
    assert set(tools) == {"get_weather", "delete_file", "broken"}
    weather = tools["get_weather"]
    assert weather.description == "Current weather for a city"
    assert weather.input_schema["required"] == ["city"]
    assert weather.input_schema["properties"]["unit"] == {"type": "string",
                                                          "default": "celsius"}
    hints = weather.annotations
    assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint,
            hints.open_world_hint) == (True, False, True, True)
    assert tools["delete_file"].annotations.destructive_hint is True


async def test_tools_call_runs_the_action_and_failures_are_is_error(mcp_server):
    async with client(mcp_server) as mcp:
        result = await mcp.call_tool("FORECAST", {"city": "Oslo"})  # a simile
        assert not result.is_error
        assert result.structured_content == {"city": "Oslo", "temperature": 21,
                                             "unit": "celsius"}
        failed = await mcp.call_tool("broken", {"reason": "disk full"})
        assert failed.is_error and "RuntimeError: disk full" in failed.content[0].text
        unknown = await mcp.call_tool("get_wether", {"city": "x"})
        assert unknown.is_error and "get_weather" in unknown.content[0].text
        bad = await mcp.call_tool("get_weather", {"town": "Oslo"})
        assert bad.is_error and "city" in bad.content[0].text
        denied = await mcp.call_tool("admin_report", {})
        assert denied.is_error and "needs one of the roles admin" in denied.content[0].text


async def test_identity_headers_scope_tools(mcp_server):
    async with client(mcp_server, **{"X-Org-Id": "acme", "X-User-Roles": "admin"}) as mcp:
        names = {tool.name for tool in (await mcp.list_tools()).tools}
        assert {"admin_report", "acme_only"} <= names
        result = await mcp.call_tool("acme_only", {})
        assert result.content[0].text == "acme data"


async def test_the_token_guards_mcp(mcp_server):
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{mcp_server.url}/mcp", json={
            "jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "Unauthorized"


def test_an_mcp_servers_tools_become_actions(mcp_server, write_config):
    folder = write_config({
        "config.yml": f"""
            tool_use:
              mcp_servers:
                - name: weather
                  url: {mcp_server.url}/mcp
                  headers: {{Authorization: "Bearer {TOKEN}"}}
                  prefix: "remote_"
            actions_metadata:
              remote_get_weather: {{similes: [WEATHER_NOW]}}
        """,
        "rails/main.co": """
            define user ask weather
              "weather?"

            define flow
              user ask weather
              $w = execute WEATHER_NOW(city="Paris")
              bot $w
        """})
    app = LLMRails(RailsConfig.from_path(str(folder)))
    reply = app.generate(messages=[{"role": "user", "content": "weather?"}])
    assert "Paris" in reply["content"] and "21" in reply["content"]
    metadata = app.runtime.dispatcher.metadata("remote_get_weather")
    assert metadata.description == "Current weather for a city"
    assert metadata.read_only is True and metadata.idempotent is True
    assert "remote_delete_file" in app.runtime.dispatcher.names()


def test_an_unreachable_mcp_server_is_a_clear_error(write_config, unused_port):
    from rails.errors import ActionError

    folder = write_config({"config.yml": f"""
        tool_use:
          mcp_servers: [{{name: nowhere, url: "http://127.0.0.1:{unused_port}/mcp"}}]
    """, "rails/main.co": 'define user hi\n  "hi"\n'})
    app = LLMRails(RailsConfig.from_path(str(folder)))
    with pytest.raises(ActionError, match=f"MCP server 'nowhere' at http://127.0.0.1:"
                                          f"{unused_port}/mcp: listing its tools failed"):
        app.generate(messages=[{"role": "user", "content": "hi"}])


def _fake_model_endpoint(answer: str):
    """A loopback OpenAI-compatible endpoint answering every chat request with `answer`."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("content-length") or 0))
            data = json.dumps({"choices": [{"index": 0, "message": {
                "role": "assistant", "content": answer}}]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


async def test_an_organisations_declared_actions_are_its_tools_only(launch_actions_server,
                                                                   tmp_path):
    model, url = _fake_model_endpoint("- one\n- two\n- three")
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "actions.py").write_text((SERVED / "actions.py").read_text())
    (folder / "config.yml").write_text(
        f"models:\n  - type: main\n    engine: openai\n    model: fake\n"
        f"    parameters: {{base_url: \"{url}\", api_key: unused}}\n")
    server = launch_actions_server("--actions-db", str(tmp_path / "actions.sqlite3"),
                                   config=folder, token=TOKEN)
    try:
        async with httpx.AsyncClient(base_url=server.url, headers={
                "Authorization": f"Bearer {TOKEN}"}) as http:
            created = await http.post("/v1/actions", headers={"X-Org-Id": "acme"}, json={
                "action_name": "summarize_document", "kind": "llm",
                "description": "Summarize a document in 3 bullet points",
                "template": "Summarize:\n\n{{document_text}}"})
            assert created.status_code in (200, 201), created.text
        async with client(server, **{"X-Org-Id": "acme"}) as mcp:
            tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
            summary = tools["summarize_document"]
            assert summary.description == "Summarize a document in 3 bullet points"
            assert summary.input_schema["required"] == ["document_text"]
            assert summary.annotations.read_only_hint is True
            result = await mcp.call_tool("summarize_document", {"document_text": "long"})
            assert not result.is_error and result.content[0].text == "- one\n- two\n- three"
        async with client(server, **{"X-Org-Id": "other-org"}) as mcp:
            names = {tool.name for tool in (await mcp.list_tools()).tools}
            assert "summarize_document" not in names
            missing = await mcp.call_tool("summarize_document", {"document_text": "x"})
            assert missing.is_error
    finally:
        server.stop()
        model.shutdown()
        model.server_close()
