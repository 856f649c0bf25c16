"""Parsers applied to raw completions, selected by a prompt's `output_parser` key (spec §6.5)."""
from __future__ import annotations

import re
from typing import Callable

_NON_WORD_RUN = re.compile(r"\W+")

# Verbose labels and the Colang prefix each stands for.
_VERBOSE_LABELS = (("User message: ", "user "), ("Bot message: ", "  "),
                   ("User intent: ", "  "), ("Bot intent: ", "bot "))


def _swap_prefix(text: str, prefix: str, replacement: str) -> str:
    if text.startswith(prefix):
        return replacement + text[len(prefix):].strip()
    return text


def user_intent_parser(output: str) -> str:
    return _swap_prefix(output.strip(), "User intent: ", "  ")


def bot_intent_parser(output: str) -> str:
    return _swap_prefix(output.strip(), "Bot intent: ", "bot ")


def bot_message_parser(output: str) -> str:
    return _swap_prefix(output.strip(), "Bot message: ", "  ")


def verbose_v1_parser(output: str) -> str:
    """Turn `User intent: x` style lines back into Colang history lines."""
    lines = []
    for line in output.split("\n"):
        line = line.strip()
        for label, replacement in _VERBOSE_LABELS:
            line = _swap_prefix(line, label, replacement)
            line = _swap_prefix(line, label.lower(), replacement)
        lines.append(line)
    return "\n".join(lines)


_VERDICT_WORDS = frozenset({"safe", "unsafe", "yes", "no"})


def _first_words(output: str) -> tuple[str, list[str]]:
    normalized = _NON_WORD_RUN.sub(" ", output.lower().strip())
    return normalized, normalized.split(" ")[:2]


def has_safety_verdict(output: str) -> bool:
    """Whether `is_content_safe` finds a verdict in `output` instead of failing closed."""
    return not _VERDICT_WORDS.isdisjoint(_first_words(output)[1])


def is_content_safe(output: str) -> tuple[bool, list[str]]:
    """A safety verdict from the first two words of the answer.

    `safe` -> allowed; `unsafe` -> blocked, with the words after it as violated policies;
    `yes` -> blocked (the question asks whether to block); `no` -> allowed. Anything else is
    treated as blocked, so an unclear answer never lets content through.
    """
    normalized, first_words = _first_words(output)
    if "safe" in first_words:
        return True, []
    if "unsafe" in first_words:
        return False, normalized.split("unsafe", 1)[1].strip().split(" ")
    if "yes" in first_words:
        return False, []
    if "no" in first_words:
        return True, []
    return False, []


BUILTIN_OUTPUT_PARSERS: dict[str, Callable] = {
    "user_intent": user_intent_parser,
    "bot_intent": bot_intent_parser,
    "bot_message": bot_message_parser,
    "verbose_v1": verbose_v1_parser,
    "is_content_safe": is_content_safe,
}
