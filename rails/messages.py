"""Chat messages <-> events (spec §3.12)."""
from __future__ import annotations

from typing import Any

from rails.events import new_event_dict, new_uid

ROLES = ("user", "assistant", "context", "event", "system")


_TEXT_ROLES = frozenset({"user", "assistant", "system"})


def validate_messages(messages: Any) -> list[dict]:
    if not isinstance(messages, list) or not messages:
        raise ValueError("`messages` must be a non-empty list of {'role', 'content'} dicts")
    for index, message in enumerate(messages):
        # The common case first: a chat message with text (this runs for the whole history).
        if (type(message) is dict and type(message.get("content")) is str
                and message.get("role") in _TEXT_ROLES):
            continue
        _check_message(index, message)
    return messages


def _check_message(index: int, message: Any) -> None:
    if not isinstance(message, dict) or "role" not in message:
        raise ValueError(f"messages[{index}] must be a dict with a 'role' key")
    role = message["role"]
    if role not in ROLES:
        raise ValueError(f"messages[{index}] has unknown role {role!r}; "
                         f"use one of {', '.join(ROLES)}")
    if role == "event":
        if not isinstance(message.get("event"), dict) or "type" not in message["event"]:
            raise ValueError(f"messages[{index}] (role 'event') needs an 'event' dict "
                             "with a 'type'")
    elif role == "context":
        if not isinstance(message.get("content"), dict):
            raise ValueError(f"messages[{index}] (role 'context') needs a dict 'content'")
    elif not isinstance(message.get("content"), str):
        raise ValueError(f"messages[{index}] (role {role!r}) needs a string 'content'")


def events_for_messages(messages: list[dict], start: int = 0) -> list[dict]:
    """The events that stand for `messages[start:]`. A user message that is not the last one
    also gets its `UserMessage`, since no turn will be run for it."""
    events: list[dict] = []
    last = len(messages) - 1
    for index in range(start, len(messages)):
        message = messages[index]
        role = message["role"]
        if role == "user":
            events.append({"type": "UtteranceUserActionFinished",
                           "final_transcript": message["content"]})
            if index != last:
                events.append({"type": "UserMessage", "text": message["content"]})
        elif role == "assistant":
            uid = new_uid()
            events.append(new_event_dict("StartUtteranceBotAction", script=message["content"],
                                         action_uid=uid))
            events.append(new_event_dict("UtteranceBotActionFinished",
                                         final_script=message["content"], is_success=True,
                                         action_uid=uid))
        elif role == "context":
            events.append({"type": "ContextUpdate", "data": message["content"]})
        elif role == "event":
            events.append(message["event"])
        # `system` messages carry no event in Colang 1.0; they are accepted and ignored.
    return events


def history_key(messages: list[dict]) -> "HistoryKey":
    """A hashable key for a message sequence; `prefix(n)` gives the key of its first n."""
    return HistoryKey(tuple([(message["role"], content
                              if type(content := message.get("content")) is str
                              else _content_key(message))
                             for message in messages]))


class HistoryKey:
    """A message sequence as a dict key: its (role, content) pairs, hashed on first use and
    only once (a tuple rehashes all its items at every lookup, and histories grow long)."""

    __slots__ = ("pairs", "_hash")

    def __init__(self, pairs: tuple):
        self.pairs = pairs
        self._hash: int | None = None

    def prefix(self, end: int) -> "HistoryKey":
        return HistoryKey(self.pairs[:end])

    def __add__(self, other: "HistoryKey") -> "HistoryKey":
        return HistoryKey(self.pairs + other.pairs)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(self.pairs)
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, HistoryKey) and hash(self) == hash(other)
                and self.pairs == other.pairs)


def _content_key(message: dict) -> str:
    content = message.get("content", message.get("event"))
    if isinstance(content, str):
        return content
    import json

    return json.dumps(content, sort_keys=True, default=str)


def response_from_events(new_events: list[dict]) -> dict:
    """The assistant message (or the rails exception) that the new events amount to."""
    texts: list[str] = []
    exception = None
    for event in new_events:
        event_type = event["type"]
        if event_type == "StartUtteranceBotAction":
            if event["script"] == "(remove last message)":
                texts = texts[:-1]
            else:
                texts.append(event["script"])
        elif event_type.endswith("Exception"):
            exception = event
    if exception is not None:
        return {"role": "exception", "content": exception}
    return {"role": "assistant", "content": "\n".join(texts)}
