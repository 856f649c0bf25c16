"""The per-line rewrites of spec §1.3, applied before a line is parsed.

They are textual by definition (`else when express disagreement` becoming an *event* pattern is
observable behaviour), so they are done here, in order, each guarded by a cheap test on the
first word so a line only pays for the rules that can apply to it.
"""
from __future__ import annotations

import re

_INFER = re.compile(r"^infer (?!user )(?!bot )(?!event )")
_WHEN = re.compile(r"^when (?!user )(?!bot )(?!event )(?!flow )(?!no )(?!any)")
_ELSE_WHEN = re.compile(r"^else when (?!user )(?!bot )(?!event )(?!flow )(?!no )(?!any)")
_SAYS = re.compile(r"^((?:else )?(?:when )?(?:user|bot)) says(\b)")
_SOMETHING = re.compile(r"^((?:else )?(?:when )?(?:user|bot)) something(?: else)?(\b)")
_OTHER_SOMETHING = re.compile(
    r'^((?:else )?(?:when )?(?:user|bot)\s+(?:[^"]*)\s+)something(?: else)?(\b)')
_SET_LABEL = re.compile(r"^set ([^$]+) label (?:to )?(\$.*)")
_RUN_ASSIGN = re.compile(r"^(\$[\w.]+) = (?:run|execute|exec) ")
_SET_ASSIGN = re.compile(r"^(\$[\w.]+) = (?!run )(?!execute )(?!exec )")
_PRIORITY = re.compile(r"^\s*priority\s*([\.\d]+)\s*$")
_PLUS_ASSIGN = re.compile(r"^(\$[\w.]+)\s*\+=")
_MINUS_ASSIGN = re.compile(r"^(\$[\w.]+)\s*\-=")

_PATTERN_HEADS = frozenset(("user", "bot", "when", "else"))


def collapse_spaces(text: str) -> str:
    """Runs of spaces outside double-quoted strings become one space; the ends are trimmed."""
    if "  " not in text:
        return text.strip(" ")
    if '"' not in text:
        return " ".join(part for part in text.split(" ") if part)
    out: list[str] = []
    in_string = False
    previous_space = True
    for char in text:
        if char == '"':
            in_string = not in_string
        elif char == " " and not in_string:
            if previous_space:
                continue
            previous_space = True
            out.append(char)
            continue
        previous_space = False
        out.append(char)
    return "".join(out).rstrip(" ")


_memo: dict[str, str] = {}


def normalize(text: str) -> str:
    """The normalized text of a logical line (rules 1-14 of §1.3; rule 15, the anonymous flow
    name, and rule 16, the bare `else`, need context and are applied by the caller).
    Memoized: lines repeat a lot within and across files."""
    found = _memo.get(text)
    if found is None:
        if len(_memo) > 50_000:
            _memo.clear()
        found = _memo[text] = _normalize(text)
    return found


def _normalize(text: str) -> str:
    text = collapse_spaces(text)
    if text.endswith(":"):
        text = text[:-1]
    first = text.split(" ", 1)[0]
    if first == "infer":
        text = _INFER.sub("infer event ", text, 1)
    elif first == "when":
        text = _WHEN.sub("when event ", text, 1)
    elif first == "else" and text.startswith("else when "):
        text = _ELSE_WHEN.sub("else when event ", text, 1)
    elif first == "def":
        text = "define" + text[3:]
        first = "define"
    if first in _PATTERN_HEADS:
        if " says" in text:
            text = _SAYS.sub(r"\1\2", text, 1)
        if "something" in text:
            if _SOMETHING.match(text):
                text = _SOMETHING.sub(r"\1 *\2", text, 1)
            else:
                text = _OTHER_SOMETHING.sub(r"\1...\2", text, 1)
        return text
    if first == "execute" or first == "exec":
        return "run" + text[len(first):]
    if first == "set":
        if " label " in text:
            text = _SET_LABEL.sub(r"label \1 \2", text, 1)
        return text
    if first[:1] == "$":
        if _RUN_ASSIGN.match(text):
            return _RUN_ASSIGN.sub(r"run \1 = ", text, 1)
        if _SET_ASSIGN.match(text):
            return _SET_ASSIGN.sub(r"set \1 = ", text, 1)
        if "+=" in text:
            text = _PLUS_ASSIGN.sub(r"set \1 = \1 +", text, 1)
        elif "-=" in text:
            text = _MINUS_ASSIGN.sub(r"set \1 = \1 -", text, 1)
        return text
    if first.startswith("priority"):
        return _PRIORITY.sub(r'meta {"priority": \1}', text, 1)
    if first == "new" or first == "create":
        return "infer" + text[len(first):]
    return text


def main_token(text: str) -> str:
    """The first word, or two for `else X` and `go X` (spec §1.3)."""
    first = text.split(" ", 1)[0]
    if (first == "else" or first == "go") and text != first:
        second = text[len(first):].strip().split(" ", 1)[0]
        return f"{first} {second}"
    return first
