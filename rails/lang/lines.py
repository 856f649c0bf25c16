"""From physical to logical lines (spec §1.2): the pre-pass that is not context-free.

It handles multi-line strings, `#` comments, doc strings, trailing comments, explicit
continuation (`\\` or a trailing ` or`) and records, per logical line, its text, the number of
its last physical line, its indentation (leading spaces) and the comment attached to it.
"""
from __future__ import annotations

import logging
from typing import Any, NamedTuple

from rails.errors import ColangSyntaxError

log = logging.getLogger(__name__)

# First words that start a statement or a definition: a multi-line string that swallows a
# line starting with one of these is almost certainly a missing closing quote (quirk W14).
_STATEMENT_WORDS = frozenset(
    "define def user bot flow subflow execute run do if else when while set event stop "
    "return done create infer".split())


class Line(NamedTuple):
    text: str
    number: int
    indentation: int
    comment: str | None


def strip_trailing_comment(text: str) -> str:
    """`text` up to the first `#` outside double quotes (`"` toggles; no escapes)."""
    if "#" not in text:
        return text
    in_string = False
    for index, char in enumerate(text):
        if char == '"':
            in_string = not in_string
        elif char == "#" and not in_string:
            return text[:index].strip()
    return text


def _closes_after_comment(stripped: str) -> bool:
    """True for `"Hi" # note`: a complete string followed by a comment, not an open string."""
    head = strip_trailing_comment(stripped)
    return head != stripped and len(head) > 1 and head.endswith('"')


def warn(warnings: list | None, message: str) -> None:
    """Logs a warning about a file and records it (parsed documents cached on disk replay
    their warnings when loaded)."""
    log.warning(message)
    if warnings is not None:
        warnings.append(message)


def logical_lines(content: str, path: str | None = None,
                  warnings: list | None = None) -> list[Line]:
    raw_lines = content.split("\n")
    lines: list[Line] = []
    append = lines.append
    comment: str | None = None
    in_docstring = False
    count = len(raw_lines)
    i = 0
    while i < count:
        raw = raw_lines[i]
        stripped = raw.strip()
        if not stripped:
            i += 1
            continue
        first = stripped[0]
        if first == '"' and not in_docstring:
            # 1. A line opening a double-quoted string that does not close on it.
            if (not stripped.startswith('"""') and not stripped.endswith('"')
                    and not _closes_after_comment(stripped)):
                i = _multiline_string(raw_lines, i, stripped, comment, append, path, warnings)
                comment = None
                continue
        elif first == "#":
            # 2. Whole-line comments accumulate into the pending comment.
            text = stripped[1:].strip()
            comment = text if comment is None else comment + "\n" + text
            i += 1
            continue
        if "#" in stripped:
            stripped = strip_trailing_comment(stripped)
        if first == '"' and stripped.startswith('"""') or in_docstring:
            # 5. Doc strings become the pending comment, like `#` comments.
            if not in_docstring:
                if stripped == '"""' or not stripped.endswith('"""'):
                    in_docstring = True
                    comment = stripped[3:]
                else:
                    comment = stripped[3:-3]
            elif stripped.endswith('"""'):
                comment += "\n" + stripped[:-3]
                in_docstring = False
            else:
                comment += "\n" + stripped
            i += 1
            continue
        if not stripped:
            i += 1
            continue
        indentation = len(raw) - len(raw.lstrip(" "))
        if raw[indentation] != first and "\t" in raw[:len(raw) - len(raw.lstrip())]:
            raise ColangSyntaxError(
                "tab in indentation", file=path, line=i + 1, column=indentation + 1,
                line_text=raw.rstrip(),
                hint="indent with spaces only (Colang measures indentation in spaces)")
        # 6. Explicit continuation: a trailing `\` or ` or` joins the next physical line.
        last = stripped[-1]
        if last == "\\" or (last == "r" and stripped.endswith(" or")):
            text = stripped
            while (text.endswith("\\") or text.endswith(" or")) and i < count - 1:
                i += 1
                if text.endswith("\\"):
                    text = text[:-1]
                if not text.endswith(" "):
                    text += " "
                text += strip_trailing_comment(raw_lines[i].strip())
            stripped = text
        append(Line(stripped, i + 1, indentation, comment))
        comment = None
        i += 1
    if in_docstring:
        warn(warnings, f'{path or "<string>"}: a doc string (""") is never closed')
    return lines


def _multiline_string(raw_lines: list[str], start: int, stripped: str, comment: str | None,
                      append: Any, path: str | None, warnings: list | None) -> int:
    """Joins the lines of a multi-line string; returns the index after its last line."""
    raw = raw_lines[start]
    parts = [stripped]
    i = start + 1
    while i < len(raw_lines):
        part = raw_lines[i].strip()
        parts.append(part)
        if part.endswith('"'):
            break
        i += 1
    else:
        raise ColangSyntaxError(
            "unterminated string", file=path, line=start + 1, column=_indent_of(raw) + 1,
            line_text=raw.rstrip(),
            hint='close the string with `"` (strings may span lines, but must end)')
    swallowed = [p for p in parts[1:] if p.split(" ", 1)[0] in _STATEMENT_WORDS]
    if swallowed:
        warn(warnings, f"{path or '<string>'}:{start + 1}: the multi-line string starting here "
                       f"also contains the line {swallowed[0]!r}; is a closing quote missing?")
    append(Line("\n".join(parts), i + 1, _indent_of(raw), comment))
    return i + 1


def _indent_of(raw: str) -> int:
    return len(raw) - len(raw.lstrip(" "))


def anonymous_flow_hash(text: str) -> str:
    """NeMo's 32-bit string hash (Java-style, absolute value, hex): ids of unnamed flows."""
    value = 0
    for char in text:
        value = (value * 31 + ord(char)) & 0xFFFFFFFF
    if value >= 1 << 31:
        value = (1 << 32) - value
    return format(value, "x")
