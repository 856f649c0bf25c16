"""Permissions of button clicks (rails.policy, caller `button`): a callback with `roles`, a
toolbar action for other callers, through the Python API and `dialog-rails serve` as a real
process (identity headers trusted or not)."""
from __future__ import annotations

import logging
import secrets

import httpx
import pytest

from rails import LLMRails, RailsConfig
from tests.folders import write_files
from tests.server_processes import ServerProcess

CONFIG = {
    "config.yml": """
        rails:
          dialog:
            user_messages:
              embeddings_only: true
              embeddings_only_similarity_threshold: 0.5
              embeddings_only_fallback_intent: unrecognized request
        interaction:
          toolbar:
            - {action: export_chat, label: Export}
        """,
    "flows.co": """
        define user ask to close the account
          "close my account"

        define flow close account
          user ask to close the account
          execute offer_close
        """,
    "actions.py": """
        from rails.actions import Action, Message, action, action_callback


        @action()
        async def offer_close():
            await Message(content="Close the account?",
                          actions=[Action(name="close_account", label="Close it")]).send()


        @action_callback("close_account", roles=["admin"])
        async def close_account(button):
            await Message(content="Account closed.").send()
            await button.remove_all()


        @action(callers=["flow"])
        async def export_chat(body=None):
            return "exported"
        """,
}


def as_user(roles: list, text: str = "close my account", user_id: str = "u-7") -> list:
    return [{"role": "context", "content": {"user": {"id": user_id, "roles": roles}}},
            {"role": "user", "content": text}]


@pytest.fixture
def folder(write_config):
    return write_config(CONFIG)


def buttons_of(message: dict) -> dict:
    return {button["name"]: button for button in message["buttons"]}


def test_a_refused_click_runs_nothing_says_why_and_leaves_the_button_live(folder, caplog):
    rails = LLMRails(RailsConfig.from_path(str(folder)))
    history = as_user(["support"])
    offer = rails.generate(messages=history)
    assert offer["content"] == "Close the account?"
    close = buttons_of(offer)["close_account"]

    with caplog.at_level(logging.WARNING, logger="rails.policy"):
        refused = rails.click(close["id"])
    assert refused["content"] == (
        "I'm sorry, I can't do that: permission denied: action 'callback:close_account' "
        "needs one of the roles admin; the user is u-7 with roles support.")
    assert rails.explain().action_decisions == [{
        "action": "callback:close_account", "caller": "button", "allowed": False,
        "needs_confirmation": False, "rule": "roles",
        "reason": "action 'callback:close_account' needs one of the roles admin; the user "
                  "is u-7 with roles support",
        "user": {"id": "u-7", "roles": ["support"], "organisation": None}}]
    assert "denied: action 'callback:close_account' needs one of the roles admin" in \
        caplog.text and "(caller button)" in caplog.text

    # Still live: an admin's click on the same button runs the callback.
    admin = as_user(["admin"], user_id="a-1") + [offer]
    done = rails.click(close["id"], messages=admin)
    assert done["content"] == "Account closed."
    [decision] = rails.explain().action_decisions
    assert (decision["caller"], decision["allowed"], decision["rule"]) == ("button", True,
                                                                          None)


def test_a_toolbar_action_for_other_callers_is_refused(folder):
    rails = LLMRails(RailsConfig.from_path(str(folder)))
    history = as_user(["admin"])
    offer = rails.generate(messages=history)
    export = buttons_of(offer)["export_chat"]
    refused = rails.click(export["id"], messages=history + [offer])
    assert refused["content"] == (
        "I'm sorry, I can't do that: permission denied: action 'export_chat' may not be run "
        "by the caller `button` (allowed: flow).")
    assert rails.explain().action_decisions[0]["rule"] == "callers"


def test_callbacks_without_permission_keys_run_for_anyone(examples_dir):
    rails = LLMRails(RailsConfig.from_path(str(examples_dir / "confirmation_bot")))
    offer = rails.generate(messages=[{"role": "user", "content": "delete my data"}])
    answer = rails.click(offer["buttons"][1]["id"])
    assert answer["content"] == "Deletion cancelled."
    [decision] = rails.explain().action_decisions
    assert (decision["action"], decision["caller"], decision["allowed"]) == (
        "callback:cancel_delete", "button", True)


def test_register_callback_takes_the_permission_keys(folder):
    rails = LLMRails(RailsConfig.from_path(str(folder)))
    with pytest.raises(ValueError, match="`roles` must be a list of names"):
        rails.register_callback("close_account", lambda button: None, roles="admin")


# -- over HTTP ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def configs(tmp_path_factory):
    root = tmp_path_factory.mktemp("configs")
    write_files(root / "accounts", CONFIG)
    return root


def serve(configs, tmp_path, *extra: str) -> ServerProcess:
    return ServerProcess(["--config-dir", str(configs), "--default-config", "accounts",
                          "--threads-db", str(tmp_path / "threads.sqlite3"), *extra]).start()


def chat(server, thread: str, **headers) -> dict:
    answer = httpx.post(f"{server.base_url}/v1/chat/completions", headers=headers, json={
        "model": "accounts", "thread_id": thread,
        "messages": [{"role": "user", "content": "close my account"}]}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["choices"][0]["message"]


def click(server, thread: str, button_id: str, **headers) -> httpx.Response:
    return httpx.post(f"{server.base_url}/v1/threads/{thread}/clicks", headers=headers,
                      json={"button_id": button_id}, timeout=30)


def test_clicks_over_http_run_as_the_trusted_headers_user(configs, tmp_path):
    server = serve(configs, tmp_path, "--trust-identity-headers")
    try:
        thread = "thread-" + secrets.token_hex(8)
        offer = chat(server, thread, **{"X-User-Id": "u-7", "X-User-Roles": "support"})
        close = buttons_of(offer)["close_account"]
        refused = click(server, thread, close["id"], **{"X-User-Id": "u-7",
                                                        "X-User-Roles": "support"})
        assert refused.status_code == 200, refused.text
        assert refused.json()["choices"][0]["message"]["content"] == (
            "I'm sorry, I can't do that: permission denied: action 'callback:close_account' "
            "needs one of the roles admin; the user is u-7 with roles support.")
        view = httpx.get(f"{server.base_url}/v1/threads/{thread}").json()
        assert close["id"] in [button["id"] for button in view["buttons"]]
        assert view["messages"][-1]["content"].startswith("I'm sorry, I can't do that")
        done = click(server, thread, close["id"], **{"X-User-Roles": "admin"})
        assert done.status_code == 200, done.text
        assert done.json()["choices"][0]["message"]["content"] == "Account closed."
    finally:
        log = server.stop()
    assert "denied: action 'callback:close_account'" in log


def test_without_trusted_headers_a_click_is_anonymous(configs, tmp_path):
    server = serve(configs, tmp_path)
    try:
        thread = "thread-" + secrets.token_hex(8)
        close = buttons_of(chat(server, thread))["close_account"]
        refused = click(server, thread, close["id"], **{"X-User-Roles": "admin"})
        assert refused.status_code == 200, refused.text
        assert refused.json()["choices"][0]["message"]["content"].endswith(
            "needs one of the roles admin; the user is anonymous with no role.")
    finally:
        server.stop()
