"""A conversation test written against NeMo Guardrails' public API; only the imports changed
(`nemoguardrails` -> `rails`). It uses langchain-core's own fake model, as such tests do."""
from __future__ import annotations

from typing import Optional

from langchain_core.language_models.fake import FakeListLLM

from rails import LLMRails, RailsConfig
from rails.actions import action
from rails.actions.actions import ActionResult
from rails.rails.llm.options import GenerationOptions

COLANG = """
define user express greeting
  "hello"
  "hi there"

define user ask account balance
  "how much money do I have?"
  "what's my balance"

define bot express greeting
  "Hello! How can I help?"

define bot report balance
  "Your balance is $balance dollars."

define flow greeting
  user express greeting
  bot express greeting

define flow balance
  user ask account balance
  $balance = execute fetch_balance(account_type="checking")
  execute record_audit
  bot report balance
"""

YAML = """
models: []
instructions:
  - type: general
    content: A banking assistant.
"""


@action(name="fetch_balance")
async def fetch_balance(account_type: str, context: Optional[dict] = None):
    assert context["last_user_message"] == "what's my balance"
    return {"checking": 250}[account_type]


@action(is_system_action=True)
async def record_audit(events: Optional[list] = None):
    return ActionResult(return_value=None, context_updates={"audited": True},
                        events=[{"type": "AuditRecorded", "count": len(events)}])


def test_conversation_ported_from_nemo_guardrails():
    config = RailsConfig.from_content(colang_content=COLANG, yaml_content=YAML)
    llm = FakeListLLM(responses=["  express greeting", "  ask account balance"])
    rails = LLMRails(config=config, llm=llm)
    rails.register_action(fetch_balance)
    rails.register_action(record_audit)

    messages = [{"role": "user", "content": "hi there"}]
    response = rails.generate(messages=messages)
    assert response == {"role": "assistant", "content": "Hello! How can I help?"}

    messages += [response, {"role": "user", "content": "what's my balance"}]
    result = rails.generate(
        messages=messages,
        options=GenerationOptions(output_vars=["balance", "audited"],
                                  log={"activated_rails": True, "internal_events": True}))
    assert result.response == [{"role": "assistant",
                                "content": "Your balance is 250 dollars."}]
    assert result.output_data == {"balance": 250, "audited": True}
    assert "AuditRecorded" in [event["type"] for event in result.log.internal_events]
    assert [rail.name for rail in result.log.activated_rails][:2] == ["generate user intent",
                                                                      "balance"]
    info = rails.explain()
    assert len(info.llm_calls) == 1 and info.llm_calls[0].task == "generate_user_intent"
    assert 'user "what\'s my balance"' in info.colang_history
