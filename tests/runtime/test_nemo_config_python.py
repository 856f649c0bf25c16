"""Python files of a NeMo Guardrails config folder work unchanged: they import
`nemoguardrails`, which resolves to `rails` when NeMo itself is not installed."""
from __future__ import annotations

import importlib.util

import pytest

from rails import LLMRails, RailsConfig
from rails.testing import FakeLLM

@pytest.mark.skipif(importlib.util.find_spec("nemoguardrails") is not None,
                    reason="the real nemoguardrails is installed here")
def test_actions_and_config_py_importing_nemoguardrails(tmp_path):
    (tmp_path / "config.yml").write_text("models: []\n")
    (tmp_path / "rails.co").write_text(
        'define user ask time\n  "what time is it?"\n\n'
        'define flow\n  user ask time\n  $time = execute current_time\n  bot say time\n\n'
        'define bot say time\n  "It is $time, said $speaker."\n')
    (tmp_path / "actions.py").write_text(
        "from nemoguardrails.actions import action\n"
        "from nemoguardrails.actions.actions import ActionResult\n\n"
        "@action(name='current_time')\n"
        "async def now(speaker=None):\n"
        "    return ActionResult(return_value='noon', context_updates={'speaker': speaker})\n")
    (tmp_path / "config.py").write_text(
        "from nemoguardrails import LLMRails\n\n"
        "def init(app: LLMRails):\n"
        "    app.register_action_param('speaker', 'the clock')\n")
    app = LLMRails(RailsConfig.from_path(str(tmp_path)), llm=FakeLLM(responses=["  ask time"]))
    reply = app.generate(messages=[{"role": "user", "content": "time?"}])
    assert reply["content"] == "It is noon, said the clock."


def test_a_broken_actions_file_is_a_located_error(tmp_path):
    from rails.errors import ConfigError

    (tmp_path / "config.yml").write_text("models: []\n")
    (tmp_path / "actions.py").write_text("import a_module_that_does_not_exist\n")
    with pytest.raises(ConfigError) as caught:
        LLMRails(RailsConfig.from_path(str(tmp_path)), llm=FakeLLM(responses=[]))
    assert "actions.py" in str(caught.value)
    assert "a_module_that_does_not_exist" in str(caught.value)
