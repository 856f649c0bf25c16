"""Library rails that need no downloaded model: regex rails (input, output, retrieval, tool
calls), topic safety (a prompt and a model of the config) and YARA injection detection."""
from __future__ import annotations

import pytest

from rails import LLMRails, RailsConfig
from rails.errors import ConfigError
from rails.testing import FakeLLM

REFUSAL = "I'm sorry, I can't respond to that."

REGEX = '''
rails:
  config:
    regex_detection:
      input:
        patterns: ['\\b\\d{3}-\\d{2}-\\d{4}\\b', 'secret project']
        case_insensitive: true
      output:
        patterns: ['internal use only']
  input:
    flows: [regex check input]
  output:
    flows: [regex check output]
'''


def test_regex_input_rail_blocks_a_match_and_the_model_is_never_called():
    llm = FakeLLM(responses=["fine answer", "This is INTERNAL USE ONLY, sorry"])
    app = LLMRails(RailsConfig.from_content(yaml_content=REGEX), llm=llm)
    assert app.generate(prompt="my ssn is 123-45-6789") == REFUSAL
    assert app.generate(prompt="tell me about the Secret Project") == REFUSAL
    assert llm.prompts == []
    assert app.generate(prompt="hello there") == "fine answer"
    # case_insensitive is per source: the output pattern is case-sensitive, so this passes
    assert app.generate(prompt="and now?") == "This is INTERNAL USE ONLY, sorry"


def test_regex_output_rail_blocks_a_matching_answer():
    llm = FakeLLM(responses=["for internal use only"])
    app = LLMRails(RailsConfig.from_content(yaml_content=REGEX), llm=llm)
    assert app.generate(prompt="hi") == REFUSAL


def test_an_invalid_pattern_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"pattern 1 \('\(unclosed'\) is not a valid"):
        RailsConfig.from_content(yaml_content='''
rails:
  config:
    regex_detection:
      input:
        patterns: [ok, '(unclosed']
''')


async def test_regex_tool_rails_check_names_arguments_and_results():
    from rails.library.regex.actions import regex_check_tool_call, regex_check_tool_result

    config = RailsConfig.from_content(yaml_content='''
rails:
  config:
    regex_detection:
      tool_input:
        patterns: ['DROP TABLE']
      tool_output:
        patterns: ['api_key=']
''')
    assert await regex_check_tool_call(config, {"tool_name": "query",
                                                "tool_arguments": {"sql": "select 1"}})
    assert not await regex_check_tool_call(config, {"tool_name": "query",
                                                    "tool_arguments": {"sql": "DROP TABLE x"}})
    assert not await regex_check_tool_result(config, {"tool_result": {"env": "api_key=abc"}})
    assert await regex_check_tool_result(config, {"tool_result": "all good"})


TOPIC = '''
models:
  - type: topic_control
    engine: openai
    model: topic-model
rails:
  input:
    flows: ["topic safety check input $model=topic_control"]
prompts:
  - task: topic_safety_check_input $model=topic_control
    content: |
      You are the topic guard of a bicycle shop. Only questions about bicycles are allowed.
'''


def test_topic_safety_blocks_off_topic_and_passes_on_topic():
    app = LLMRails(RailsConfig.from_content(yaml_content=TOPIC),
                   llm=FakeLLM(responses=["Gears are in aisle 3."]))
    guard = FakeLLM(responses=["off-topic", "on-topic"])
    app.register_action_param("topic_control_llm", guard)
    assert app.generate(prompt="who wins the election?") == REFUSAL
    answer = app.generate(messages=[{"role": "user", "content": "where are the gears?"}])
    assert answer["content"] == "Gears are in aisle 3."
    first = guard.prompts[0]
    assert "bicycle shop" in first and '"off-topic"' in first
    assert "who wins the election?" in first


def test_topic_safety_without_a_model_name_says_how_to_write_the_rail():
    yaml = TOPIC.replace(" $model=topic_control\"]", "\"]")
    app = LLMRails(RailsConfig.from_content(yaml_content=yaml), llm=FakeLLM(responses=[]))
    result = app.generate(messages=[{"role": "user", "content": "hi"}],
                          options={"log": {"activated_rails": True}})
    assert "$model=" in str(result.log.errors[0])


INJECTION = '''
rails:
  config:
    injection_detection:
      injections: [sqli, xss, code, template]
      action: {action}
  output:
    flows: [injection detection]
'''


@pytest.mark.parametrize("answer, rule", [
    ("Try this: ' OR 1=1 --", "sqli"),
    ("Here: <img src=x onerror=alert(1)>", "xss"),
    ("Run __import__('os').system('ls')", "code"),
    ("Render {{ self.__init__.__globals__ }}", "template"),
])
def test_injection_detection_rejects_each_category(answer, rule):
    app = LLMRails(RailsConfig.from_content(yaml_content=INJECTION.format(action="reject")),
                   llm=FakeLLM(responses=[answer]))
    reply = app.generate(prompt="help me")
    assert reply.startswith("I'm sorry, I can't send that answer")
    assert rule in reply


def test_injection_detection_omit_cuts_the_matched_text():
    app = LLMRails(RailsConfig.from_content(yaml_content=INJECTION.format(action="omit")),
                   llm=FakeLLM(responses=["Click <script>steal()</script> here"]))
    reply = app.generate(prompt="help me")
    assert "<script" not in reply and "Click" in reply


def test_injection_detection_lets_plain_answers_through():
    app = LLMRails(RailsConfig.from_content(yaml_content=INJECTION.format(action="reject")),
                   llm=FakeLLM(responses=["Our store opens at 9 and closes at 5."]))
    assert app.generate(prompt="hours?") == "Our store opens at 9 and closes at 5."


def test_injection_settings_are_checked_at_load():
    with pytest.raises(ConfigError, match="sanitizing is not offered"):
        RailsConfig.from_content(yaml_content=INJECTION.format(action="sanitize"))
    with pytest.raises(ConfigError, match="unknown injection rule set"):
        RailsConfig.from_content(yaml_content=INJECTION.format(action="reject").replace(
            "template]", "shellshock]"))
