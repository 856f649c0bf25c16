"""Words for errors: what a bad line is, and a hint on how to write it instead."""
from __future__ import annotations

from rails.lang.grammar import LineSyntaxError
from rails.lang.normalize import main_token

VALID_STATEMENTS = ("user, bot, event, execute/run, $var = ..., set, do, if/else if/else, "
                    "while, when/else when, label, goto, meta, priority, create event, stop, "
                    "abort, break, continue, return, done, check")
DEFINE_MODIFIERS = ("continuous, extension, interruption, non-interruptable, noninterruptable, "
                    "parallel, recursive, repair, response, sample, test")
UNSUPPORTED = {
    "expect": "`expect` is not a Colang 1.0 statement",
    "log": "`log` is not a Colang 1.0 statement",
    "...": "a line that is only `...` is not a statement; write `bot ...`, `user ...` or "
           "`$name = ...`",
}


def original_column(original: str, parsed: str, column: int | None) -> int | None:
    """The column in the line as written of a column in its normalized text (normalization
    rewrites the start of a line, e.g. `execute` -> `run`; the rest is usually unchanged)."""
    if column is None:
        return None
    if original == parsed:
        return column
    tail = parsed[column:]
    return len(original) - len(tail) if tail and original.endswith(tail) else None


def what(text: str, start: str) -> str:
    if start == "param_line":
        return "invalid parameter line"
    return f"invalid `{main_token(text)}` statement"


def hint_for(text: str, error: LineSyntaxError) -> str | None:
    token = main_token(text)
    expected = {str(e) for e in error.expected}
    if token == "define":
        if expected & {"DEFINE_KIND", "MODIFIER"}:
            return ("write `define [modifiers] flow|subflow|user|bot NAME`; modifiers: "
                    + DEFINE_MODIFIERS)
    if token in ("run", "do", "user", "event", "infer") and "(" in text:
        return ("arguments are `name=value` pairs (or bare values); values are `$variables` or "
                "literals (numbers, \"strings\", True/False/None, lists, dicts); compute other "
                "values first, e.g. `$total = $a + 1`")
    if token in ("if", "else if", "while", "check", "set"):
        return "expressions are Python-like: `$count > 1 and $name == \"x\"`"
    if token in ("when", "else when"):
        return "write `when user <intent>`, `when bot <intent>` or `when event <Type>`"
    if token == "bot":
        return 'write `bot <intent>`, optionally followed by "text" and `with $param`'
    return None
