"""Actions of the content-safety rails. The model comes from the rail entry's `$model=name`
parameter (which the rail loop puts in the context as `model`)."""
from __future__ import annotations

from typing import Any, Optional

from rails.actions import action
from rails.errors import ActionError
from rails.library.verdicts import ask_classifier, safe_or_unsafe


async def _check(direction: str, llm_task_manager: Any, llms: Optional[dict],
                 model_name: Optional[str], context: Optional[dict]) -> dict:
    action_name = f"content_safety_check_{direction}"
    context = context or {}
    name = model_name or context.get("model")
    if not name:
        raise ActionError(f"{action_name} needs a model name: write the rail as "
                          f"'content safety check {direction} $model=<model type>'",
                          action_name=action_name)
    model = (llms or {}).get(name)
    if model is None:
        raise ActionError(f"{action_name}: no model of type '{name}' in config.yml models "
                          f"(have: {', '.join(sorted(llms or {})) or 'none'})",
                          action_name=action_name)
    variables = {"user_input": context.get("user_message")}
    if direction == "output":
        variables["bot_response"] = context.get("bot_message")
    answer = await ask_classifier(llm_task_manager, f"{action_name} $model={name}", variables,
                                  model, temperature=1e-20, default_max_tokens=3)
    return safe_or_unsafe(answer)


@action(is_system_action=True)
async def content_safety_check_input(llm_task_manager: Any, llms: Optional[dict] = None,
                                     model_name: Optional[str] = None,
                                     context: Optional[dict] = None) -> dict:
    """{"allowed", "policy_violations"} for the current user message."""
    return await _check("input", llm_task_manager, llms, model_name, context)


@action(is_system_action=True)
async def content_safety_check_output(llm_task_manager: Any, llms: Optional[dict] = None,
                                      model_name: Optional[str] = None,
                                      context: Optional[dict] = None) -> dict:
    """{"allowed", "policy_violations"} for the current bot message."""
    return await _check("output", llm_task_manager, llms, model_name, context)
