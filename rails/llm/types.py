"""Names of the LLM tasks, as used in prompts.yml (`task:`)."""
from __future__ import annotations

from enum import Enum


class Task(str, Enum):
    GENERAL = "general"
    GENERATE_USER_INTENT = "generate_user_intent"
    GENERATE_NEXT_STEPS = "generate_next_steps"
    GENERATE_BOT_MESSAGE = "generate_bot_message"
    GENERATE_INTENT_STEPS_MESSAGE = "generate_intent_steps_message"
    GENERATE_VALUE = "generate_value"
    SELF_CHECK_INPUT = "self_check_input"
    SELF_CHECK_OUTPUT = "self_check_output"
    SELF_CHECK_FACTS = "self_check_facts"
    SELF_CHECK_HALLUCINATION = "self_check_hallucination"
    # Old name of the facts task, still accepted in prompts.yml.
    FACT_CHECKING = "fact_checking"


def task_name(task: "str | Task") -> str:
    return task.value if isinstance(task, Enum) else str(task)
