"""Actions of the Llama Guard rails."""
from __future__ import annotations

from typing import Any, Optional

from rails.actions import action
from rails.library.verdicts import ask_classifier, safe_or_unsafe


@action(is_system_action=True)
async def llama_guard_check_input(llm_task_manager: Any, context: Optional[dict] = None,
                                  llama_guard_llm: Any = None, llm: Any = None) -> dict:
    """{"allowed", "policy_violations"} for the current user message."""
    answer = await ask_classifier(llm_task_manager, "llama_guard_check_input",
                                  {"user_input": (context or {}).get("user_message")},
                                  llama_guard_llm or llm, temperature=0.0)
    return safe_or_unsafe(answer)


@action(is_system_action=True)
async def llama_guard_check_output(llm_task_manager: Any, context: Optional[dict] = None,
                                   llama_guard_llm: Any = None, llm: Any = None) -> dict:
    """{"allowed", "policy_violations"} for the current bot message."""
    context = context or {}
    answer = await ask_classifier(llm_task_manager, "llama_guard_check_output",
                                  {"user_input": context.get("user_message"),
                                   "bot_response": context.get("bot_message")},
                                  llama_guard_llm or llm, temperature=0.0)
    return safe_or_unsafe(answer)
