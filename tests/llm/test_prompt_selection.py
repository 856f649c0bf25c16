"""Prompt selection (spec §6.1): scoring by model, mode handling, last-wins ties."""
from __future__ import annotations

import pytest

from rails.errors import ConfigError
from rails.llm.prompt_store import PromptSpec, _model_score, select_prompt, task_model_string
from rails.llm.taskmanager import LLMTaskManager


def spec(name, models=(), mode="standard", task="t"):
    return PromptSpec(task=task, content=name, models=tuple(models), mode=mode)


@pytest.mark.parametrize("models, model, expected", [
    ([], "openai/gpt-4", 0.2),
    (["openai/gpt-4"], "openai/gpt-4", 1.0),
    (["openai"], "openai/gpt-4", 0.5),
    (["gpt-4"], "openai/gpt-4", 0.8),
    (["gpt"], "openai/gpt-4", 0.4),
    (["llama"], "openai/gpt-4", 0.0),
])
def test_model_scores(models, model, expected):
    assert _model_score(models, model) == expected


def test_higher_score_wins_regardless_of_order():
    exact, provider = spec("exact", ["openai/gpt-4"]), spec("provider", ["openai"])
    for order in ([exact, provider], [provider, exact]):
        assert select_prompt("t", "openai/gpt-4", "standard", order).content == "exact"
    generic, substring = spec("generic"), spec("substring", ["gpt"])
    assert select_prompt("t", "openai/gpt-4", "standard",
                         [substring, generic]).content == "substring"


def test_substring_match_keeps_scanning_for_a_better_entry():
    prompt = spec("p", models=["gpt", "openai/gpt-4"])
    provider_only = spec("provider", models=["openai"])
    # "p" scores 1.0 thanks to its second entry, so it beats the later 0.5 prompt.
    assert select_prompt("t", "openai/gpt-4", "standard", [prompt, provider_only]).content == "p"


def test_ties_go_to_the_last_prompt_so_user_prompts_override_builtins():
    assert select_prompt("t", "x/y", "standard", [spec("builtin"), spec("user")]).content == "user"


def test_a_prompt_for_another_model_is_chosen_when_nothing_scores_higher():
    chosen = select_prompt("t", "openai/gpt-4", "standard", [spec("other", models=["llama"])])
    assert chosen.content == "other"


def test_mode_mismatch_halves_standard_prompts_and_drops_others():
    compact = spec("compact", mode="compact")
    standard_exact = spec("standard-exact", models=["openai/gpt-4"])  # 1.0 * 0.5 in compact
    assert select_prompt("t", "openai/gpt-4", "compact",
                         [standard_exact, compact]).content == "standard-exact"
    generic_standard = spec("generic")  # 0.2 * 0.5 = 0.1 < 0.2
    assert select_prompt("t", "openai/gpt-4", "compact",
                         [compact, generic_standard]).content == "compact"
    assert select_prompt("t", "a/b", "standard", [compact]) is None


def test_task_model_string_prefers_a_model_typed_as_the_task(config_factory):
    config = config_factory("""
        models:
          - type: main
            engine: openai
            model: gpt-4
          - type: self_check_input
            engine: nim
    """)
    assert task_model_string(config.models, "generate_user_intent") == "openai/gpt-4"
    assert task_model_string(config.models, "self_check_input") == "nim"
    assert task_model_string([], "general") == "unknown"


def test_chat_variant_for_openai_chat_models_and_text_prompt_otherwise(config_factory):
    chat = LLMTaskManager(config_factory(
        "models:\n  - type: main\n    engine: openai\n    model: gpt-4o-mini\n"))
    assert chat.get_prompt("generate_user_intent").messages is not None
    assert chat.get_prompt("generate_user_intent").output_parser == "user_intent"
    other = LLMTaskManager(config_factory(
        "models:\n  - type: main\n    engine: vllm\n    model: llama-3\n"))
    assert other.get_prompt("generate_user_intent").content is not None
    assert other.get_prompt("generate_user_intent").output_parser == "verbose_v1"


def test_config_prompt_overrides_builtin_and_missing_task_is_a_clear_error(config_factory):
    manager = LLMTaskManager(config_factory("""
        prompts:
          - task: generate_bot_message
            content: "custom {{ general_instructions }}"
    """))
    assert manager.get_prompt("generate_bot_message").content.startswith("custom")
    with pytest.raises(ConfigError, match="no prompt for task 'self_check_input'"):
        manager.get_prompt("self_check_input")


def test_no_builtin_prompt_for_self_check_input_or_output(config_factory):
    manager = LLMTaskManager(config_factory())
    for task in ("self_check_input", "self_check_output"):
        with pytest.raises(ConfigError):
            manager.get_prompt(task)
    for task in ("general", "generate_user_intent", "generate_next_steps",
                 "generate_bot_message", "generate_value", "generate_intent_steps_message",
                 "self_check_facts", "self_check_hallucination"):
        assert manager.get_prompt(task).task == task
