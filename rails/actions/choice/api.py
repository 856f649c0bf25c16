"""The model choosing actions, called from Python outside a dialog turn:

    from rails.actions.choice import choose
    result = await choose(app, messages=[{"role": "user", "content": "weather in Oslo?"}],
                          actions=["GET_WEATHER"])
    result.text, result.ran, result.steps

No input or output rails run here (use a flow with `execute choose_action`, or
`tool_use.mode: fallback`, for that); permissions, `validate`, tool rails and the step bound
apply as in a turn. `{"role": "context", "content": {...}}` messages set the context (e.g.
`user` with the caller's roles)."""
from __future__ import annotations

from typing import Any, Optional

from rails.actions.choice.loop import ChoiceResult


async def choose(app: Any, messages: list[dict], *, actions: Optional[list] = None,
                 max_steps: Optional[int] = None) -> ChoiceResult:
    from rails.llm.call import LLMCallLog, current_call_log
    from rails.llm.passthrough import raw_llm_request
    from rails.messages import validate_messages
    from rails.policy.audit import ActionAudit, current_audit

    messages = validate_messages(list(messages))
    context: dict = {}
    for message in messages:
        if message["role"] == "context" and isinstance(message.get("content"), dict):
            context.update(message["content"])
    users = [m["content"] for m in messages if m["role"] == "user"]
    context.setdefault("user_message", users[-1] if users else "")
    await app._ensure_ready()
    tokens = (raw_llm_request.set(messages), current_call_log.set(LLMCallLog()),
              current_audit.set(ActionAudit()))
    try:
        return await app._parts.choice.choose(context, names=actions, max_steps=max_steps)
    finally:
        current_audit.reset(tokens[2])
        current_call_log.reset(tokens[1])
        raw_llm_request.reset(tokens[0])


def choose_sync(app: Any, messages: list[dict], **options: Any) -> ChoiceResult:
    """`choose` for synchronous code (works inside a running event loop too)."""
    return app._loop_thread.run(choose(app, messages, **options))
