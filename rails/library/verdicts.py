"""Shared by the classifier rails: ask a safety model, read a safe/unsafe verdict."""
from __future__ import annotations

from typing import Any, Optional

from rails.errors import ActionError
from rails.llm.call import llm_call


async def ask_classifier(task_manager: Any, task: str, variables: dict, llm: Any, *,
                         temperature: float, default_max_tokens: Optional[int] = None) -> str:
    if llm is None:
        raise ActionError(f"the '{task}' rail needs a model: configure one in config.yml")
    prompt = task_manager.render_task_prompt(task, context=variables)
    answer = await llm_call(llm, prompt, task=task.split(" ")[0],
                            stop=task_manager.get_stop_tokens(task), temperature=temperature,
                            max_tokens=task_manager.get_max_tokens(task) or default_max_tokens)
    parsed = task_manager.parse_task_output(task, answer)
    return parsed if isinstance(parsed, str) else answer


def safe_or_unsafe(answer: Any) -> dict:
    """`safe` -> allowed; `unsafe S1 S3` -> blocked with those policies; anything else is
    treated as unsafe (a classifier that says something unexpected must not let text pass)."""
    if isinstance(answer, tuple) and answer and isinstance(answer[0], bool):
        allowed, *rest = answer  # what the `is_content_safe` parser returns
        return {"allowed": allowed, "policy_violations": list(rest[0]) if rest else []}
    words = str(answer).strip().lower().replace(",", " ").split()
    if words and words[0] == "safe":
        return {"allowed": True, "policy_violations": []}
    if words and words[0] == "unsafe":
        return {"allowed": False, "policy_violations": [w.upper() for w in words[1:]]}
    return {"allowed": False, "policy_violations": []}
