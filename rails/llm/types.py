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
    # Tasks of other library rails and of Colang 2.x; named so ported code that refers to
    # them keeps importing (their prompts come from the configuration).
    LLAMA_GUARD_CHECK_INPUT = "llama_guard_check_input"
    LLAMA_GUARD_CHECK_OUTPUT = "llama_guard_check_output"
    PATRONUS_LYNX_CHECK_OUTPUT_HALLUCINATION = "patronus_lynx_check_output_hallucination"
    GENERATE_VALUE_FROM_INSTRUCTION = "generate_value_from_instruction"
    GENERATE_USER_INTENT_FROM_USER_ACTION = "generate_user_intent_from_user_action"
    GENERATE_USER_INTENT_AND_BOT_ACTION_FROM_USER_ACTION = (
        "generate_user_intent_and_bot_action_from_user_action")
    GENERATE_FLOW_FROM_INSTRUCTIONS = "generate_flow_from_instructions"
    GENERATE_FLOW_FROM_NAME = "generate_flow_from_name"
    GENERATE_FLOW_CONTINUATION = "generate_flow_continuation"
    GENERATE_FLOW_CONTINUATION_FROM_NLD = "generate_flow_continuation_from_flow_nld"


def task_name(task: "str | Task") -> str:
    return task.value if isinstance(task, Enum) else str(task)
