"""Helpers that user actions call on a turn's events and on completions.

These are the names NeMo Guardrails code imports from `nemoguardrails.actions.llm.utils`
(mapped in `rails.nemo_paths`), with the same results, so ported actions run unchanged."""
from __future__ import annotations

import re
from typing import Any, Iterable, Optional

from rails.llm.call import llm_call  # noqa: F401  (re-exported: actions call it from here)
from rails.llm.history import get_colang_history  # noqa: F401
from rails.llm.text import first_nonempty_line, strip_quotes, top_nonempty_lines
from rails.llm.text import multiline_response as get_multiline_response  # noqa: F401

__all__ = [
    "flow_to_colang", "get_colang_history", "get_first_bot_action", "get_first_bot_intent",
    "get_first_nonempty_line", "get_first_user_intent", "get_initial_actions",
    "get_last_bot_intent_event", "get_last_bot_utterance_event", "get_last_user_intent_event",
    "get_last_user_utterance", "get_last_user_utterance_event", "get_multiline_response",
    "get_retrieved_relevant_chunks", "get_top_k_nonempty_lines", "llm_call",
    "remove_text_messages_from_history", "strip_quotes",
]


def _last(events: Iterable[Any], event_type: str) -> Optional[dict]:
    for event in reversed(list(events)):
        if isinstance(event, dict) and event.get("type") == event_type:
            return event
    return None


def _text_of(text: Any) -> str:
    """A user message's text; multimodal content (a list of parts) gives its text parts."""
    if isinstance(text, list):
        return " ".join(part.get("text", "") for part in text
                        if isinstance(part, dict) and part.get("type") == "text")
    return text


def get_last_user_utterance(events: list[dict]) -> Optional[str]:
    event = _last(events, "UserMessage")
    return None if event is None else _text_of(event.get("text"))


def get_last_user_utterance_event(events: list[dict]) -> Optional[dict]:
    return _last(events, "UserMessage")


def get_last_user_intent_event(events: list[dict]) -> Optional[dict]:
    return _last(events, "UserIntent")


def get_last_bot_intent_event(events: list[dict]) -> Optional[dict]:
    return _last(events, "BotIntent")


def get_last_bot_utterance_event(events: list[dict]) -> Optional[dict]:
    return _last(events, "StartUtteranceBotAction")


def get_retrieved_relevant_chunks(events: list[dict],
                                  skip_user_message: bool = False) -> Optional[str]:
    """The chunks retrieved for the current user message (the latest `relevant_chunks` context
    update after it; with `skip_user_message`, the latest one of the whole history)."""
    for event in reversed(events):
        if not skip_user_message and event.get("type") == "UserMessage":
            return None
        if event.get("type") == "ContextUpdate" and "relevant_chunks" in event.get("data", {}):
            return (event["data"]["relevant_chunks"] or "").strip()
    return None


def flow_to_colang(flow: dict) -> str:
    """A flow's user intents and bot messages as Colang lines (for k-shot prompts)."""
    lines = []
    for element in flow["elements"]:
        if element.get("_type") == "UserIntent":
            lines.append(f"user {element['intent_name']}\n")
        elif element.get("_type") == "run_action" and element.get("action_name") == "utter":
            lines.append(f"bot {element['action_params']['value']}\n")
    return "".join(lines)


def remove_text_messages_from_history(history: str) -> str:
    """A Colang history without the quoted user and bot texts, intents only."""
    history = re.sub(r'user "[^\n]+"\n {2}', "user ", history)
    history = re.sub(r"^\s*user [^\n]+\n\n", "", history)
    return re.sub(r'bot ([^\n]+)\n {2}"[\s\S]*?"', r"bot \1", history)


def get_first_nonempty_line(text: str) -> Optional[str]:
    return first_nonempty_line(text)


def get_top_k_nonempty_lines(text: str, k: int = 1) -> Optional[list[str]]:
    return top_nonempty_lines(text, k) if text else None


def get_initial_actions(lines: list[str]) -> list[str]:
    """The lines before the first empty one."""
    return lines[:lines.index("")] if "" in lines else list(lines)


def _first_with_prefix(lines: list[str], prefix: str) -> Optional[str]:
    return next((line[len(prefix):] for line in lines if line.startswith(prefix)), None)


def get_first_user_intent(lines: list[str]) -> Optional[str]:
    return _first_with_prefix(lines, "user intent: ")


def get_first_bot_intent(lines: list[str]) -> Optional[str]:
    return _first_with_prefix(lines, "bot intent: ")


def get_first_bot_action(lines: list[str]) -> Optional[str]:
    """The first `bot action: ...` block, with its `and` / `or` continuation lines."""
    action, started = "", False
    for line in lines:
        if line.startswith("bot action: "):
            action += ("\n" if action else "") + line[len("bot action: "):]
            started = True
        elif started and (line.startswith("  and") or line.startswith("  or")):
            action += line
        elif line == "":
            started = False
        elif action:
            return action
    return action
