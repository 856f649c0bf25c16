"""Event lists rendered as the Colang history text that prompts show the model (spec §6.4)."""
from __future__ import annotations

from typing import Iterable, Optional

from rails.llm.prefix_cache import PrefixCache

# What a masked (blocked) user message is replaced with in prompt histories.
HIDDEN_TEXT_PLACEHOLDER = "<<<The assistant must not discuss this; the text is hidden.>>>"


def _last_bot_intent_index(events: list[dict]) -> int:
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("type") == "BotIntent":
            return index
    return -1


# Histories grow by a turn at a time: only the events after the longest cached prefix are
# rendered (see prefix_cache.py).
_prefixes = PrefixCache()


def get_colang_history(events: Optional[list[dict]], include_texts: bool = True,
                       remove_retrieval_events: bool = False) -> str:
    """The conversation so far, one Colang line per relevant event, each ending in a newline.

    Only the newest BotIntent carries its `# instructions` comment line; system actions are
    left out; a `mask_prev_user_message` hides the latest user text seen so far.
    """
    if not events:
        return ""
    flags = (include_texts, remove_retrieval_events)
    last_bot = _last_bot_intent_index(events)
    # A prefix rendered while its own newest BotIntent carried instructions cannot be reused
    # once a newer BotIntent exists (only the newest one shows them).
    start, cached = _prefixes.lookup(events, flags,
                                     accept=lambda value: value[2] in (None, last_bot))
    text, latest_user_text = (cached[0], cached[1]) if cached else ("", None)
    parts = [text] if text else []
    for index in range(start, len(events)):
        event = events[index]
        kind = event.get("type")
        if kind == "UserMessage":
            latest_user_text = event["text"]
            if include_texts:
                parts.append(f'user "{event["text"]}"\n')
        elif kind == "UserIntent":
            parts.append(f'  {event["intent"]}\n' if include_texts else f'user {event["intent"]}\n')
        elif kind == "BotIntent":
            if index == last_bot and "instructions" in event:
                parts.append(f"# {event['instructions']}\n")
            parts.append(f'bot {event["intent"]}\n')
        elif kind == "StartUtteranceBotAction":
            if include_texts:
                parts.append(f'  "{event["script"]}"\n')
        elif kind == "StartInternalSystemAction":
            if not event.get("is_system_action") and not _skipped(event, remove_retrieval_events):
                parts.append(f'execute {event["action_name"]}\n')
        elif kind == "InternalSystemActionFinished":
            if not event.get("is_system_action") and not _skipped(event, remove_retrieval_events):
                result = str(event.get("return_value")).replace("\n", " ")
                parts.append(f"# The result was {result}\n")
        elif kind == "mask_prev_user_message" and latest_user_text:
            parts = _mask_last(parts, latest_user_text)
    history = "".join(parts)
    with_instructions = last_bot >= 0 and "instructions" in events[last_bot]
    _prefixes.store(events, (history, latest_user_text, last_bot if with_instructions else None),
                    flags)
    return history


def _skipped(event: dict, remove_retrieval_events: bool) -> bool:
    return remove_retrieval_events and event.get("action_name") == "retrieve_relevant_chunks"


def _mask_last(parts: list[str], text: str) -> list[str]:
    """Replace the last occurrence of `text` in the history built so far."""
    joined = "".join(parts)
    position = joined.rfind(text)
    if position < 0:
        return parts
    return [joined[:position] + HIDDEN_TEXT_PLACEHOLDER + joined[position + len(text):]]


def last_event_of(events: Iterable[dict], *types: str) -> Optional[dict]:
    """The newest event of one of `types`, or None."""
    for event in reversed(list(events) if not isinstance(events, list) else events):
        if event.get("type") in types:
            return event
    return None


def retrieved_chunks_for_turn(events: list[dict]) -> Optional[str]:
    """The newest `relevant_chunks` context update since the latest user message, stripped."""
    for event in reversed(events):
        kind = event.get("type")
        if kind == "UserMessage":
            break
        if kind == "ContextUpdate" and "relevant_chunks" in (event.get("data") or {}):
            return (event["data"]["relevant_chunks"] or "").strip()
    return None
