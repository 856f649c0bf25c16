"""Who a request runs as on the chat server: trusted identity headers, never the client's
own `context.user` (a real `dialog-rails serve` process)."""
from __future__ import annotations

import httpx

CONFIG = {
    "config.yml": "rails: {dialog: {user_messages: {embeddings_only: true}}}\n",
    "actions.py": '''
from rails.actions import action

@action(roles=["admin"])
async def close_account(context=None):
    user = context.get("user") or {}
    return f"closed for {user.get('id')} of {user.get('organisation')}"
''',
    "rails/main.co": '''
define user close account
  "close my account"

define flow
  user close account
  $done = execute close_account
  bot $done
''',
}


def chat(server, headers=None, context=None):
    body = {"model": "bank", "messages": [{"role": "user", "content": "close my account"}]}
    if context is not None:
        body["context"] = context
    answer = httpx.post(f"{server.base_url}/v1/chat/completions", json=body,
                        headers=headers or {}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["choices"][0]["message"]["content"]


ADMIN = {"X-User-Id": "u-1", "X-User-Roles": "support, admin", "X-Org-Id": "acme"}


def test_identity_headers_only_when_trusted(tmp_path, server_factory):
    folder = tmp_path / "configs" / "bank"
    for name, text in CONFIG.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    trusting = server_factory("--config-dir", str(tmp_path / "configs"),
                              "--threads-db", str(tmp_path / "a.sqlite3"),
                              "--trust-identity-headers")
    assert chat(trusting, ADMIN) == "closed for u-1 of acme"
    assert "permission denied" in chat(trusting)  # no headers: anonymous
    # A client cannot grant itself a role through the context.
    forged = chat(trusting, context={"user": {"id": "me", "roles": ["admin"]}})
    assert "needs one of the roles admin" in forged

    plain = server_factory("--config-dir", str(tmp_path / "configs"),
                           "--threads-db", str(tmp_path / "b.sqlite3"))
    assert "permission denied" in chat(plain, ADMIN)  # headers not trusted
