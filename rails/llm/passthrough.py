"""Passthrough mode (spec §3.13): the caller's own request goes to the model (or to a
registered passthrough function) instead of the engine's prompts."""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from rails.errors import ActionError

# The raw request of the current turn (the prompt string or the messages list); LLMRails sets
# it so passthrough mode can forward exactly what the caller sent.
raw_llm_request: ContextVar[Any] = ContextVar("rails_raw_llm_request", default=None)


def split_passthrough(output: Any) -> tuple[Any, Any]:
    if isinstance(output, (tuple, list)):
        return output[0], output[1] if len(output) > 1 else None
    return output, None


def passthrough_prompt(user_text: str) -> Any:
    """The caller's own request, with the last user message replaced by the (possibly
    rewritten by input rails) current text."""
    raw = raw_llm_request.get()
    if raw is None or isinstance(raw, str):
        return user_text
    if isinstance(raw, list):
        messages = [m for m in raw if (m.get("role") or m.get("type")) != "context"]
        if raw and raw[-1].get("role") == "user":  # (copied, not changed: it is the caller's)
            messages[-1] = {**raw[-1], "content": user_text}
        return messages
    raise ActionError(f"unsupported raw request type {type(raw).__name__} for passthrough",
                      action_name="generate_user_intent")


# The conversation before the messages given to `generate` when someone else keeps it (a
# server thread keeps its messages, and its events as the turn's `state`): passthrough mode
# sends the model the whole conversation, and tool results are matched to calls made there.
prior_messages: ContextVar[tuple] = ContextVar("rails_passthrough_prior", default=())


def passthrough_conversation(messages: list[dict]) -> list[dict]:
    prior = prior_messages.get()
    return list(prior) + messages if prior else messages
