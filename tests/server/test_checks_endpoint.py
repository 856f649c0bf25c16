"""`POST /v1/checks` on a real `dialog-rails serve` process: the result of LLMRails.check."""
from __future__ import annotations

import httpx
import pytest

from tests.folders import write_files
from tests.server_processes import ServerProcess

# Offline rails (Python actions, no model): block secrets, mask card numbers on input;
# block rudeness on output.
CHECKED_CONFIG = {
    "config.yml": """\
rails:
  input:
    flows: [block secrets, mask cards]
  output:
    flows: [block rudeness]
""",
    "rails.co": """\
define bot refuse to respond
  "I can't help with that."

define subflow block secrets
  $secret = execute mentions(text=$user_message, word="password")
  if $secret
    bot refuse to respond
    stop

define subflow mask cards
  $user_message = execute mask_digits(text=$user_message)

define subflow block rudeness
  $rude = execute mentions(text=$bot_message, word="stupid")
  if $rude
    bot refuse to respond
    stop
""",
    "actions.py": """\
import re

from rails.actions import action


@action()
async def mentions(text: str, word: str) -> bool:
    return word in (text or "").lower()


@action()
async def mask_digits(text: str) -> str:
    return re.sub(r"[0-9]{4,}", "####", text)
""",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("checks")
    write_files(root / "checked", CHECKED_CONFIG)
    write_files(root / "plain", {"config.yml": "rails:\n  input:\n    flows: []\n"})
    process = ServerProcess(["--config-dir", str(root), "--default-config", "checked"]).start()
    yield process
    process.stop()


def post(server, body):
    return httpx.post(server.base_url + "/v1/checks", json=body, timeout=30)


def test_passed_modified_blocked(server):
    passed = post(server, {"model": "checked", "messages": [{"role": "user", "content": "hi"}]})
    assert passed.status_code == 200
    assert passed.json() == {"status": "passed", "content": "hi"}

    modified = post(server, {"messages": [{"role": "user", "content": "card 12345678"}],
                             "guardrails": {"config_id": "checked"}})
    assert modified.json() == {"status": "modified", "content": "card ####"}

    blocked = post(server, {"messages": [{"role": "user", "content": "my password is x"}],
                            "guardrails": {"config_id": "checked"}})
    assert blocked.json() == {"status": "blocked", "content": "I can't help with that.",
                              "rail": "block secrets"}


def test_output_rails_and_rail_types(server):
    messages = [{"role": "user", "content": "my password?"},
                {"role": "assistant", "content": "that is a stupid question"}]
    both = post(server, {"messages": messages})
    assert both.json()["rail"] == "block secrets"  # input rails run first
    output = post(server, {"messages": messages, "guardrails": {"rail_types": ["output"]}})
    assert output.json() == {"status": "blocked", "content": "I can't help with that.",
                             "rail": "block rudeness"}


def test_context_messages_are_accepted(server):
    answer = post(server, {"messages": [{"role": "assistant", "content": "fine"}],
                           "guardrails": {"config_id": "checked", "context": {"x": 1}}})
    assert answer.json() == {"status": "passed", "content": "fine"}


@pytest.mark.parametrize("body, fragment", [
    ({"messages": []}, "non-empty array"),
    ({"messages": [{"role": "user", "content": "hi"}],
      "guardrails": {"rail_types": ["invalid"]}}, "rail_types"),
    ({"messages": [{"role": "user", "content": "hi"}],
      "guardrails": {"config_id": "plain", "rail_types": ["output"]}},
     "'output' has no configured rails"),
    ({"messages": [{"role": "user", "content": "hi"}], "guardrails": "checked"},
     "`guardrails` must be an object"),
])
def test_unprocessable_requests_name_the_cause(server, body, fragment):
    answer = post(server, body)
    assert answer.status_code == 422
    assert fragment in answer.json()["error"]["message"]


def test_model_naming_an_llm_uses_the_default_config(server):
    answer = post(server, {"model": "gpt-4o-mini",
                           "messages": [{"role": "user", "content": "my password"}]})
    assert answer.status_code == 200 and answer.json()["rail"] == "block secrets"


def test_unknown_config_is_404(server):
    answer = post(server, {"messages": [{"role": "user", "content": "hi"}],
                           "guardrails": {"config_id": "nope"}})
    assert answer.status_code == 404
    assert "nope" in answer.json()["error"]["message"]
