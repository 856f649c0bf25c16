"""Jinja filters available in prompt templates (spec §6.3).

Most take the Colang history text (the output of the `colang` filter) and reshape it for a
particular model style; a few take the raw event list.
"""
from __future__ import annotations

import re
import textwrap
from functools import lru_cache, wraps
from typing import Any, Callable

from rails.llm.history import get_colang_history
from rails.llm.prefix_cache import PrefixCache

_IDENTIFIER_PREFIXES = ("bot intent: ", "bot action: ", "user intent: ", "user action: ")
_USER_TEXT_THEN_INTENT = re.compile(r'user "[^\n]+"\n {2}')
_LEADING_ONE_LINE_USER = re.compile(r"^\s*user [^\n]+\n\n")
_BOT_INTENT_THEN_TEXT = re.compile(r'bot ([^\n]+)\n {2}"[\s\S]*?"')


def colang(events: list[dict]) -> str:
    return get_colang_history(events)


def colang_without_identifiers(events: list[dict]) -> str:
    text = get_colang_history(events)
    for prefix in _IDENTIFIER_PREFIXES:
        text = text.replace(prefix, "")
    return text


def remove_text_messages(colang_history: str) -> str:
    """Keep intents only: `user "x"` + indented intent become `user <intent>`, bot texts go."""
    text = _USER_TEXT_THEN_INTENT.sub("user ", colang_history)
    text = _LEADING_ONE_LINE_USER.sub("", text)
    return _BOT_INTENT_THEN_TEXT.sub(r"bot \1", text)


def _starts_turn(line: str) -> bool:
    return line.startswith('user "') or line.startswith("user action: ")


def first_turns(colang_history: str, n: int) -> str:
    lines = colang_history.split("\n")
    seen = 0
    for index, line in enumerate(lines):
        if _starts_turn(line):
            seen += 1
            if seen == n + 1:
                return "\n".join(lines[:index])
    return "\n".join(lines)


def last_turns(colang_history: str, n: int) -> str:
    lines = colang_history.split("\n")
    seen = 0
    index = len(lines) - 1
    while index > 0:
        if _starts_turn(lines[index]):
            seen += 1
        if seen == n:
            break
        index -= 1
    return "\n".join(lines[index:])


def indent(text: str, n_spaces: int) -> str:
    return textwrap.indent(text, " " * n_spaces)


def verbose_v1(colang_history: str) -> str:
    """Spell out every line: `User message: "…"`, `User intent: …`, `Bot intent: …`,
    `Bot message: "…"`."""
    lines = colang_history.split("\n")
    for i, line in enumerate(lines):
        if line.startswith('user "'):
            lines[i] = 'User message: "' + line[6:]
        elif line.startswith("  ") and i > 0 and lines[i - 1].startswith("User message: "):
            lines[i] = "User intent: " + line.strip()
        elif line.startswith("user "):
            lines[i] = "User intent: " + line[5:].strip()
        elif line.startswith("bot "):
            lines[i] = "Bot intent: " + line[4:]
        elif line.startswith('  "'):
            lines[i] = "Bot message: " + line[2:]
    return "\n".join(lines)


def _assistant_line(lines: list[str], i: int, previous: str) -> str:
    line = lines[i]
    if i > 0 and previous.startswith('user "'):
        return "User intent: " + line.strip()
    if line.startswith("user "):
        return "User intent: " + line[5:].strip()
    if line.startswith("bot "):
        return "Bot intent: " + line[4:].strip()
    if line.startswith('  "'):
        return "Bot message: " + line[2:].strip()
    return line


def _history_to_messages(colang_history: str, skip_comments: bool) -> list[dict]:
    """`user "x"` lines become user messages; the lines after them are grouped into one
    assistant message per block (a block ends at the next user line or a blank line). A
    final open block is typed `bot` so templates can tell it is the one being completed."""
    messages: list[dict] = []
    pending: list[str] = []
    lines = colang_history.split("\n")

    def flush(kind: str = "assistant") -> None:
        if pending:
            messages.append({"type": kind, "content": "\n".join(pending)})
            pending.clear()

    for i, line in enumerate(lines):
        if line.startswith('user "'):
            flush()
            messages.append({"type": "user", "content": line[6:-1]})
        elif not line.strip():
            flush()
        else:
            previous = _previous_line(lines, i) if skip_comments else (lines[i - 1] if i else "")
            if skip_comments and line.strip().startswith("#") and previous.startswith('user "'):
                pending.append(line)
            else:
                pending.append(_assistant_line(lines, i, previous))
    flush("bot")
    return messages


def _previous_line(lines: list[str], i: int) -> str:
    """The line before `i`, skipping comment lines (never past the first line)."""
    i -= 1
    while i > 0 and lines[i].strip().startswith("#"):
        i -= 1
    return lines[i]


def to_messages(colang_history: str) -> list[dict]:
    return _history_to_messages(colang_history, skip_comments=False)


def to_messages_nemollm(colang_history: str) -> str:
    out = []
    for message in _history_to_messages(colang_history, skip_comments=True):
        role = "User" if message["type"] == "user" else "Assistant"
        out.append(f"<extra_id_1>{role}\n{message['content']}\n")
    return "".join(out)


def to_intent_messages(colang_history: str) -> list[dict]:
    """Only intents: user intents as user messages, bot intents as assistant messages."""
    messages = []
    lines = colang_history.split("\n")
    for i, line in enumerate(lines):
        if line.startswith('user "'):
            continue
        if i > 0 and lines[i - 1].startswith('user "'):
            messages.append({"type": "user", "content": "User intent: " + line.strip()})
        elif line.startswith("user "):
            messages.append({"type": "user", "content": "User intent: " + line[5:].strip()})
        elif line.startswith("bot "):
            messages.append({"type": "assistant", "content": "Bot intent: " + line[4:].strip()})
    return messages


def to_intent_messages_2(colang_history: str) -> list[dict]:
    """User texts as user messages; bot intents and bot texts as assistant messages."""
    messages = []
    lines = colang_history.split("\n")
    for i, line in enumerate(lines):
        if line.startswith('user "'):
            messages.append({"type": "user", "content": line[6:-1]})
        elif i > 0 and lines[i - 1].startswith('user "'):
            continue
        elif line.startswith("bot "):
            messages.append({"type": "assistant", "content": "Bot intent: " + line[4:].strip()})
        elif line.startswith('  "'):
            messages.append({"type": "assistant", "content": "Bot message: " + line[2:].strip()})
    return messages


_utterance_prefixes = PrefixCache()


def _utterances(events: list[dict]) -> tuple:
    """(role, text) of every user message and bot utterance, computed incrementally."""
    events = events or []
    start, found = _utterance_prefixes.lookup(events)
    new = []
    for index in range(start, len(events)):
        event = events[index]
        kind = event.get("type")
        if kind == "UserMessage":
            new.append(("user", event["text"]))
        elif kind == "StartUtteranceBotAction":
            new.append(("assistant", event["script"]))
    result = (found or ()) + tuple(new)
    _utterance_prefixes.store(events, result)
    return result


def user_assistant_sequence(events: list[dict]) -> str:
    return "\n".join(("User: " if role == "user" else "Assistant: ") + text
                     for role, text in _utterances(events))


def user_assistant_sequence_nemollm(events: list[dict]) -> str:
    return "\n".join(("<extra_id_1>User\n" if role == "user" else "<extra_id_1>Assistant\n")
                     + text for role, text in _utterances(events))


def to_chat_messages(events: list[dict]) -> list[dict]:
    return [{"type": role, "content": text} for role, text in _utterances(events)]


def _colang_2_only(name: str) -> Callable:
    def unsupported(*_args, **_kwargs):
        raise ValueError(f"the prompt filter '{name}' is for Colang 2.x histories, which this "
                         "engine does not run; use 'colang' / 'to_messages' instead")
    unsupported.__name__ = name
    return unsupported


def _memoized(fn: Callable) -> Callable:
    """Text-to-text filters are pure; prompts apply them to the same sample conversation and
    examples on every turn, so their results are kept (the wrapper keeps the name)."""
    cached = lru_cache(maxsize=512)(fn)

    @wraps(fn)
    def call(text: Any, *args: Any) -> Any:
        if isinstance(text, str):
            return cached(text, *args)
        return fn(text, *args)
    return call


BUILTIN_FILTERS: dict[str, Callable] = {
    "colang": colang,
    "colang_without_identifiers": colang_without_identifiers,
    "remove_text_messages": _memoized(remove_text_messages),
    "first_turns": _memoized(first_turns),
    "last_turns": _memoized(last_turns),
    "indent": indent,
    "verbose_v1": _memoized(verbose_v1),
    "to_messages": to_messages,
    "to_messages_nemollm": to_messages_nemollm,
    "to_intent_messages": to_intent_messages,
    "to_intent_messages_2": to_intent_messages_2,
    "user_assistant_sequence": user_assistant_sequence,
    "user_assistant_sequence_nemollm": user_assistant_sequence_nemollm,
    "to_chat_messages": to_chat_messages,
    "co_v2": _colang_2_only("co_v2"),
    "to_messages_v2": _colang_2_only("to_messages_v2"),
}
