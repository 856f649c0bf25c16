"""What `dialog-rails chat` does with interactive actions: buttons are numbered choices (type
the number or the label), a question an action asks is asked inline with its timeout, and
status and notification events go to stderr so stdout keeps only the conversation."""
from __future__ import annotations

import select
import sys
import time
from typing import Any, Callable, Optional, TextIO

YES = frozenset({"y", "yes", "true", "1"})
NO = frozenset({"n", "no", "false", "0"})


def print_buttons(buttons: list[dict], out: TextIO) -> None:
    choices = "   ".join(f"[{number}] {button.get('label') or button.get('name')}"
                         for number, button in enumerate(buttons, 1))
    print(choices, file=out, flush=True)


def chosen_button(text: str, buttons: list[dict]) -> Optional[dict]:
    """The button `text` picks (its number or its label, case-insensitive), or None."""
    wanted = text.strip()
    if wanted.isdigit() and 1 <= int(wanted) <= len(buttons):
        return buttons[int(wanted) - 1]
    for button in buttons:
        if wanted.casefold() == str(button.get("label") or "").casefold():
            return button
    return None


def ui_event_printer(err: TextIO) -> Callable[[dict], None]:
    def show(event: dict) -> None:
        kind, data = event.get("type"), event.get("data") or {}
        if kind == "status":
            mark = "done" if data.get("done") else "..."
            print(f"[status] {data.get('description', '')} {mark}".rstrip(), file=err,
                  flush=True)
        elif kind == "notification":
            print(f"[{data.get('type', 'info')}] {data.get('content', '')}", file=err,
                  flush=True)
        elif kind in ("citation", "source", "files"):
            print(f"[{kind}] {data}", file=err, flush=True)
    return show


def describe_question(question: dict, out: TextIO) -> None:
    title = question.get("title") or ("Please confirm" if question.get("type") ==
                                      "confirmation" else "Please answer")
    print(f"? {title}", file=out)
    if question.get("message"):
        print(f"  {question['message']}", file=out)
    timeout = question.get("timeout_s") or 0
    hint = "[y/n]" if question.get("type") == "confirmation" else (
        f"({question['placeholder']})" if question.get("placeholder") else "")
    print(f"  {hint + ' ' if hint else ''}answer within {timeout:g} s; an empty answer "
          "cancels", file=out, flush=True)


def parse_answer(question: dict, text: str) -> tuple[bool, Any]:
    """(understood, value); value None means cancel."""
    text = text.strip()
    if not text:
        return True, None
    if question.get("type") != "confirmation":
        return True, text
    if text.casefold() in YES:
        return True, True
    if text.casefold() in NO:
        return True, False
    return False, None


def read_line(prompt: str, timeout: float, source: Optional[Any]) -> Optional[str]:
    """A line typed within `timeout` seconds (None: the time ran out, or input ended).
    `source`: an iterator of lines when stdin is piped (no timeout applies then)."""
    if source is not None:  # piped: no prompt, as for messages
        line = next(source, None)
        return None if line is None else line.rstrip("\r\n")
    sys.stdout.write(prompt)
    sys.stdout.flush()
    deadline = time.monotonic() + timeout
    remaining = timeout
    while remaining > 0:
        ready, _, _ = select.select([sys.stdin], [], [], remaining)
        if ready:
            line = sys.stdin.readline()
            return None if line == "" else line.rstrip("\r\n")
        remaining = deadline - time.monotonic()
    print(file=sys.stdout)
    return None
