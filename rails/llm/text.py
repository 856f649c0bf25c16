"""Small text clean-ups applied to completions before they become intents or messages."""
from __future__ import annotations

from typing import Optional


def first_nonempty_line(text: Optional[str]) -> Optional[str]:
    for line in (text or "").split("\n"):
        line = line.strip()
        if line:
            return line
    return None


def top_nonempty_lines(text: Optional[str], k: int) -> list[str]:
    """The first k stripped lines that are neither empty nor `#` comments."""
    lines = [line.strip() for line in (text or "").split("\n")]
    return [line for line in lines if line and not line.startswith("#")][:k]


def strip_quotes(text: str) -> str:
    """Drop a leading double quote, and the trailing one if there is one."""
    if text and text[0] == '"':
        return text[1:-1] if text[-1] == '"' and len(text) > 1 else text[1:]
    return text


def multiline_response(text: str) -> str:
    """The bot message at the start of a completion: everything before a following `user`
    line, from the first non-empty line up to the first line that ends with a quote."""
    text = text.split("\nuser", 1)[0]
    collected: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        collected.append(line)
        if line.endswith('"'):
            break
    return "\n".join(collected)


def clean_utterance(text: str) -> str:
    """Literal backslash-n sequences (as written in .co files) become real newlines."""
    return text.replace("\\n", "\n") if text else text
