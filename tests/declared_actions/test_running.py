"""Declared actions run from Colang, from Python and as logged LLM calls."""
from __future__ import annotations

import pytest

from rails import LLMRails, RailsConfig
from rails.actions.declared import (ActionOutputError, LLMAction, UnknownModelError)
from rails.errors import ConfigError, LLMCallError
from rails.testing import FakeLLM

OFFLINE_INTENTS = """\
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.5
      embeddings_only_fallback_intent: ask summary
"""

FLOWS = """\
define user ask summary
  "summarize this"

define bot report summary
  "Summary: $summary | Result: $result"

define flow summarize
  user ask summary
  $doc = "Quarterly report: sales rose."
  $result = execute summarize_document(document_text=$doc)
  bot report summary
"""

SUMMARIZE = """\
declared_actions:
  - action_name: summarize_document
    kind: llm
    description: Summarize a document in 3 bullet points
    template: "Summarize the following document in 3 bullet points:\\n\\n{{document_text}}"
    max_tokens: 500
    temperature: 0.2
    outputKey: summary
"""


def ask(app: LLMRails, text: str = "summarize this"):
    return app.generate(messages=[{"role": "user", "content": text}],
                        options={"log": {"llm_calls": True}})


def test_from_colang_the_result_and_the_output_key(write_config):
    folder = write_config({"config.yml": OFFLINE_INTENTS + SUMMARIZE, "flows.co": FLOWS})
    llm = FakeLLM(responses=["- sales rose"])
    result = ask(LLMRails(RailsConfig.from_path(str(folder)), llm=llm))
    assert result.response[0]["content"] == "Summary: - sales rose | Result: - sales rose"
    assert llm.prompts == ["Summarize the following document in 3 bullet points:\n\n"
                           "Quarterly report: sales rose."]
    assert llm.calls[0]["kwargs"] == {"temperature": 0.2, "max_tokens": 500}
    [call] = result.log.llm_calls
    assert call.task == "llm_action:summarize_document"


def test_declared_in_a_yaml_file_of_the_actions_folder(write_config):
    folder = write_config({"config.yml": OFFLINE_INTENTS, "actions/summaries.yml": SUMMARIZE,
                           "flows.co": FLOWS})
    config = RailsConfig.from_path(str(folder))
    assert [a["action_name"] for a in config.declared_actions] == ["summarize_document"]
    result = ask(LLMRails(config, llm=FakeLLM(responses=["ok"])))
    assert result.response[0]["content"] == "Summary: ok | Result: ok"


def test_through_the_openai_engine_with_the_named_model(write_config, chat_endpoint,
                                                         models_yaml):
    yaml = models_yaml + OFFLINE_INTENTS + SUMMARIZE.replace(
        "    outputKey", "    model: summarizer\n    outputKey")
    folder = write_config({"config.yml": yaml, "flows.co": FLOWS})
    chat_endpoint.replies = ["- sales rose"]
    result = ask(LLMRails(RailsConfig.from_path(str(folder))))
    assert result.response[0]["content"].startswith("Summary: - sales rose")
    [request] = chat_endpoint.requests
    assert request["model"] == "small-model"
    assert (request["temperature"], request["max_tokens"]) == (0.2, 500)
    [call] = result.log.llm_calls
    assert (call.task, call.total_tokens, call.prompt_tokens) == (
        "llm_action:summarize_document", 28, 21)
    assert call.llm_model_name == "small-model"


def test_a_model_named_by_its_model_name(write_config, chat_endpoint, models_yaml):
    yaml = models_yaml + OFFLINE_INTENTS + SUMMARIZE.replace(
        "    outputKey", "    model: small-model\n    outputKey")
    folder = write_config({"config.yml": yaml, "flows.co": FLOWS})
    chat_endpoint.replies = ["fine"]
    ask(LLMRails(RailsConfig.from_path(str(folder))))
    assert chat_endpoint.requests[0]["model"] == "small-model"


def test_an_unknown_model_fails_when_the_rails_are_built(write_config):
    folder = write_config({"config.yml": OFFLINE_INTENTS + SUMMARIZE.replace(
        "    outputKey", "    model: gpt-4\n    outputKey"), "flows.co": FLOWS})
    with pytest.raises(ConfigError) as caught:
        LLMRails(RailsConfig.from_path(str(folder)), llm=FakeLLM(responses=[]))
    assert caught.value.key == "declared_actions[0].model"
    assert "'gpt-4'" in str(caught.value) and "configured: main" in str(caught.value)


def test_a_bad_declaration_in_config_names_the_entry_and_field(write_config):
    folder = write_config({"config.yml": OFFLINE_INTENTS + SUMMARIZE.replace(
        "temperature: 0.2", "temperature: 4"), "flows.co": FLOWS})
    with pytest.raises(ConfigError) as caught:
        LLMRails(RailsConfig.from_path(str(folder)), llm=FakeLLM(responses=[]))
    assert caught.value.key == "declared_actions[0].temperature"
    assert "summarize_document" in str(caught.value)


def test_a_declared_action_may_not_shadow_a_python_action(write_config):
    folder = write_config({"config.yml": OFFLINE_INTENTS + SUMMARIZE, "flows.co": FLOWS,
                           "actions.py": "from rails.actions import action\n\n\n@action()\n"
                                         "async def summarize_document(document_text):\n"
                                         "    return 'python'\n"})
    with pytest.raises(ConfigError, match="already an action"):
        LLMRails(RailsConfig.from_path(str(folder)), llm=FakeLLM(responses=[]))


def test_an_unset_variable_is_an_error_not_the_text_dollar_name(write_config):
    flows = FLOWS.replace('  $doc = "Quarterly report: sales rose."\n', "")
    folder = write_config({"config.yml": OFFLINE_INTENTS + SUMMARIZE, "flows.co": flows})
    llm = FakeLLM(responses=[])
    app = LLMRails(RailsConfig.from_path(str(folder)), llm=llm)
    result = app.generate(messages=[{"role": "user", "content": "summarize this"}],
                          options={"log": {"activated_rails": True}})
    assert "internal error" in result.response[0]["content"]
    assert llm.calls == []
    errors = [action.error for rail in result.log.activated_rails
              for action in rail.executed_actions if action.error]
    assert errors and "$doc" in str(errors[0]) and "not set" in str(errors[0])


def test_registered_from_python(write_config):
    folder = write_config({"config.yml": OFFLINE_INTENTS, "flows.co": FLOWS})
    app = LLMRails(RailsConfig.from_path(str(folder)), llm=FakeLLM(responses=["short"]))
    app.register_action(LLMAction.from_dict({
        "action_name": "summarize_document", "kind": "llm", "outputKey": "summary",
        "template": "Summarize: {{document_text}}"}))
    assert ask(app).response[0]["content"] == "Summary: short | Result: short"


async def test_complete_from_python_with_any_model():
    action = LLMAction.from_dict({"action_name": "classify", "kind": "llm",
                                  "template": "Classify: {{ticket_text}}",
                                  "temperature": 0.0, "max_tokens": 20})
    llm = FakeLLM(responses=["billing"])
    result = await action.complete({"ticket_text": "I was charged twice"}, llm=llm)
    assert (result.value, result.prompt) == ("billing", "Classify: I was charged twice")
    assert llm.calls[0]["kwargs"] == {"temperature": 0.0, "max_tokens": 20}


async def test_without_a_model_the_error_says_so():
    action = LLMAction.from_dict({"action_name": "a", "kind": "llm", "template": "{{x}}"})
    with pytest.raises(UnknownModelError, match="main model, but none is configured"):
        await action.run(x="1")


CLASSIFY = {
    "action_name": "classify_ticket", "kind": "llm",
    "template": "Classify this support ticket as JSON.\n\nTicket:\n{{ticket_text}}",
    "output_schema": {
        "type": "object", "required": ["category", "priority"],
        "properties": {"category": {"enum": ["billing", "technical", "account", "other"]},
                       "priority": {"enum": ["low", "medium", "high", "critical"]}}},
}


async def test_structured_output_is_parsed_from_prose_and_fences():
    action = LLMAction.from_dict(CLASSIFY)
    llm = FakeLLM(responses=['Sure!\n```json\n{"category": "billing", "priority": "high"}\n```'])
    result = await action.complete({"ticket_text": "charged twice"}, llm=llm)
    assert result.value == {"category": "billing", "priority": "high"}
    assert result.repaired is False and len(llm.calls) == 1


async def test_structured_output_gets_one_repair_attempt():
    action = LLMAction.from_dict(CLASSIFY)
    llm = FakeLLM(responses=['{"category": "money", "priority": "high"}',
                             '{"category": "billing", "priority": "high"}'])
    result = await action.complete({"ticket_text": "charged twice"}, llm=llm)
    assert result.value["category"] == "billing" and result.repaired
    repair = llm.prompts[1]
    assert repair.startswith(llm.prompts[0])
    assert '{"category": "money"' in repair and "category" in repair and "'money'" in repair


async def test_structured_output_fails_clearly_after_the_repair():
    action = LLMAction.from_dict({**CLASSIFY, "output_schema": None, "output_format": "json"})
    llm = FakeLLM(responses=["I think it is billing.", "Billing, high priority."])
    with pytest.raises(ActionOutputError) as caught:
        await action.complete({"ticket_text": "charged twice"}, llm=llm)
    message = str(caught.value)
    assert "classify_ticket" in message and "not JSON" in message and "repair" in message
    assert caught.value.reply == "Billing, high priority."


async def test_an_llm_error_names_the_endpoint_and_status(chat_endpoint):
    from rails.llm.openai_engine import OpenAICompatibleModel

    chat_endpoint.replies = [("status", 503, '{"error": "overloaded"}')]
    model = OpenAICompatibleModel("m", base_url=chat_endpoint.base_url, api_key="k")
    action = LLMAction.from_dict({"action_name": "a", "kind": "llm", "template": "{{x}}"})
    with pytest.raises(LLMCallError) as caught:
        await action.complete({"x": "1"}, llm=model)
    assert caught.value.status == 503 and "overloaded" in str(caught.value)


async def test_the_action_timeout_bounds_a_slow_model(chat_endpoint):
    from rails.llm.openai_engine import OpenAICompatibleModel

    chat_endpoint.replies = [("sleep", 2.0, "late")]
    model = OpenAICompatibleModel("m", base_url=chat_endpoint.base_url, api_key="k")
    action = LLMAction.from_dict({"action_name": "slow", "kind": "llm", "template": "{{x}}",
                                  "timeout": 0.3})
    with pytest.raises(LLMCallError, match="within 0.3s"):
        await action.complete({"x": "1"}, llm=model)
