"""Chat messages <-> events (spec §3.12)."""
from __future__ import annotations

from typing import Any

from rails.events import new_event_dict, new_uid

ROLES = ("user", "assistant", "context", "event", "system", "tool")


_TEXT_ROLES = frozenset({"user", "assistant", "system"})


def validate_messages(messages: Any, allow_tools: bool = True,
                      tool_sequence: bool = True) -> list[dict]:
    """The messages, checked (ValueError naming the first problem). `allow_tools=False`:
    tool calls and results are refused (they need a config in passthrough mode);
    `tool_sequence=False`: results are not matched to calls (the history is not whole)."""
    if not isinstance(messages, list) or not messages:
        raise ValueError("`messages` must be a non-empty list of {'role', 'content'} dicts")
    tools = False
    for index, message in enumerate(messages):
        # The common case first: a chat message with text (this runs for the whole history).
        if (type(message) is dict and type(message.get("content")) is str
                and message.get("role") in _TEXT_ROLES and not message.get("tool_calls")):
            continue
        tools = _check_message(index, message, allow_tools) or tools
    if tools and tool_sequence:
        from rails.tool_messages import check_tool_sequence

        check_tool_sequence(messages)
    return messages


def _check_message(index: int, message: Any, allow_tools: bool = True) -> bool:
    """Raises ValueError naming the problem; True for a tool call or result."""
    if not isinstance(message, dict) or "role" not in message:
        raise ValueError(f"messages[{index}] must be a dict with a 'role' key")
    role = message["role"]
    if role not in ROLES:
        raise ValueError(f"messages[{index}] has unknown role {role!r}; "
                         f"use one of {', '.join(ROLES)}")
    if role == "tool" or (role == "assistant" and message.get("tool_calls")):
        from rails.tool_messages import check_tool_message, tools_not_allowed

        if not allow_tools:
            raise tools_not_allowed(f"messages[{index}]")
        check_tool_message(index, message)
        return True
    if role == "event":
        if not isinstance(message.get("event"), dict) or "type" not in message["event"]:
            raise ValueError(f"messages[{index}] (role 'event') needs an 'event' dict "
                             "with a 'type'")
    elif role == "context":
        if not isinstance(message.get("content"), dict):
            raise ValueError(f"messages[{index}] (role 'context') needs a dict 'content'")
    elif not isinstance(message.get("content"), str):
        raise ValueError(f"messages[{index}] (role {role!r}) needs a string 'content'")
    return False


def events_for_messages(messages: list[dict], start: int = 0) -> list[dict]:
    """The events that stand for `messages[start:]`. A user message that is not the last one
    also gets its `UserMessage`, since no turn will be run for it."""
    events: list[dict] = []
    last = len(messages) - 1
    for index in range(start, len(messages)):
        message = messages[index]
        role = message["role"]
        if role == "tool" or message.get("tool_calls"):  # passthrough mode's tool calls
            from rails.tool_messages import tool_events

            events.extend(tool_events(messages, index, last))
        elif role == "user":
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
                              and "tool_calls" not in message
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
    if message.get("tool_calls"):
        from rails.tool_messages import tool_calls_key

        return tool_calls_key(message)
    content = message.get("content", message.get("event"))
    if isinstance(content, str):
        return content
    import json

    return json.dumps(content, sort_keys=True, default=str)


def response_from_events(new_events: list[dict]) -> dict:
    """The assistant message (or the rails exception) that the new events amount to."""
    texts: list[str] = []
    exception = tool_calls = None
    for event in new_events:
        event_type = event["type"]
        if event_type == "StartUtteranceBotAction":
            if event["script"] == "(remove last message)":
                texts = texts[:-1]
            else:
                texts.append(event["script"])
        elif event_type == "StartToolCallBotAction":  # calls the tool output rails let by
            tool_calls = event.get("tool_calls") or None
            if event.get("text"):
                texts.append(event["text"])
        elif event_type.endswith("Exception"):
            exception = event
    if exception is not None:
        return {"role": "exception", "content": exception}
    if tool_calls:
        from rails.tool_shapes import normalize_tool_calls

        return {"role": "assistant", "content": "\n".join(texts),
                "tool_calls": normalize_tool_calls(tool_calls)}
    return {"role": "assistant", "content": "\n".join(texts)}
