"""`LLMRails.check`: run a config's input and/or output rails on given messages, with no
dialog and no generation, and say whether the content passed, was modified or was blocked.

Which rails run: the `rail_types` asked for, or else the roles present (a user message: input
rails; an assistant message at the end: output rails; both: both). Under the hood this is one turn with the
generation options of NeMo's `check_async` (only those rails, the dialog off), so each rail
makes at most its own LLM call."""
from __future__ import annotations

import logging
from typing import Any, Iterable, Optional

from rails.errors import RailTypeNotConfiguredError

log = logging.getLogger("rails")


async def check_messages(rails: Any, messages: list[dict],
                         rail_types: Optional[Iterable[Any]] = None) -> Any:
    from rails.messages import validate_messages
    from rails.options import RailsResult, RailStatus

    validate_messages(messages)
    if rail_types is not None:
        kinds = _requested_kinds(rails.config, rail_types)
    else:
        kinds = _kinds_from_roles(messages)
        if not kinds:
            log.warning("check(): the messages hold no user or assistant message; nothing to "
                        "check, the result is 'passed'")
            return RailsResult(status=RailStatus.PASSED, content=_text(messages[-1]))

    checks_output = "output" in kinds
    original = _last_content(messages, "assistant" if checks_output else "user")
    if kinds == ["output"] and not any(m.get("role") == "user" for m in messages):
        # A turn needs a user message: an empty one, after any context messages.
        messages = list(messages)
        messages.insert(len(messages) - 1, {"role": "user", "content": ""})
    if checks_output and messages[-1].get("role") != "assistant":
        raise ValueError("output rails check the last message, which must then be an "
                         "assistant message (the bot's answer to check)")
    options = {"rails": kinds, "log": {"activated_rails": True}}
    response = await rails.generate_async(messages=list(messages), options=options)

    message = response.response[-1] if response.response else {}
    content = _text(message)
    blocker = next((rail.name for rail in (response.log.activated_rails if response.log else [])
                    if rail.stop), None)
    if blocker is not None or message.get("role") == "exception":
        return RailsResult(status=RailStatus.BLOCKED, content=content,
                           rail=blocker or _exception_rail(message))
    if content != original:
        return RailsResult(status=RailStatus.MODIFIED, content=content)
    return RailsResult(status=RailStatus.PASSED, content=content)


def _requested_kinds(config: Any, rail_types: Iterable[Any]) -> list[str]:
    kinds: list[str] = []
    for rail_type in rail_types:
        kind = str(getattr(rail_type, "value", rail_type))
        if kind not in ("input", "output"):
            raise ValueError(f"unknown rail type {kind!r}; use RailType.INPUT or "
                             "RailType.OUTPUT")
        if not getattr(config.rails, kind).flows:
            raise RailTypeNotConfiguredError(
                f"Requested rail type '{kind}' has no configured rails (rails.{kind}.flows "
                "is empty in this config).")
        if kind not in kinds:
            kinds.append(kind)
    if not kinds:
        raise ValueError("`rail_types` is empty; pass RailType.INPUT and/or RailType.OUTPUT, "
                         "or None to choose from the messages' roles")
    return kinds


def _kinds_from_roles(messages: list[dict]) -> list[str]:
    """Input rails when there is a user message; output rails when the conversation ends with
    the assistant's answer (an earlier answer followed by a user message is history)."""
    kinds = ["input"] if any(message.get("role") == "user" for message in messages) else []
    if messages[-1].get("role") == "assistant":
        kinds.append("output")
    return kinds


def _last_message(messages: list[dict], role: str) -> Optional[dict]:
    for message in reversed(messages):
        if message.get("role") == role:
            return message
    return None


def _last_content(messages: list[dict], role: str) -> str:
    message = _last_message(messages, role)
    return _text(message) if message is not None else ""


def _text(message: Any) -> str:
    """A message's text; a rails exception (enable_rails_exceptions) reads as its message."""
    content = message.get("content", "") if isinstance(message, dict) else ""
    if isinstance(content, dict):
        return str(content.get("message") or content.get("type") or "")
    return content if isinstance(content, str) else str(content)


def _exception_rail(message: dict) -> Optional[str]:
    content = message.get("content")
    return content.get("type") if isinstance(content, dict) else None
