"""Questions an action asks the user mid-action (`__event_call__`, `ask`), and the values a
question resolves to when nobody answers it."""
from __future__ import annotations

from typing import Any, Optional

QUESTION_TYPES = ("input", "confirmation")


class NoAnswer:
    """What a question returns when it was cancelled or timed out: falsy, so `if not answer:`
    covers both, and `answer.reason` ("cancelled" | "timeout") tells them apart."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"NoAnswer({self.reason!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoAnswer) and other.reason == self.reason

    def __hash__(self) -> int:
        return hash(("NoAnswer", self.reason))


CANCELLED = NoAnswer("cancelled")
TIMED_OUT = NoAnswer("timeout")


def is_no_answer(value: Any) -> bool:
    return isinstance(value, NoAnswer)


def check_question(request: Any, default_timeout: float) -> dict:
    """`{"type", "data": {title, message, placeholder}, "timeout"?}` -> the question's public
    fields; ValueError naming what is wrong."""
    if not isinstance(request, dict):
        raise ValueError("__event_call__ takes a dict {'type': 'input' | 'confirmation', "
                         f"'data': {{...}}}}, not {type(request).__name__}")
    kind = request.get("type")
    if kind not in QUESTION_TYPES:
        raise ValueError(f"cannot ask a question of type {kind!r}; use one of "
                         f"{', '.join(QUESTION_TYPES)}")
    data = request.get("data") or {}
    if not isinstance(data, dict):
        raise ValueError("the data of a question must be a dict {title, message, placeholder}")
    timeout = request.get("timeout", data.get("timeout", default_timeout))
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"a question's timeout must be a positive number of seconds, "
                         f"not {timeout!r}")
    return {"type": kind, "title": _text(data, "title"), "message": _text(data, "message"),
            "placeholder": _text(data, "placeholder"), "timeout_s": float(timeout)}


def _text(data: dict, key: str) -> str:
    value = data.get(key, "")
    return "" if value is None else str(value)


def check_answer(question: dict, value: Any, max_chars: int) -> Any:
    """The answer as the action will receive it; raises InteractionError subclasses."""
    from rails.errors import AnswerTooLargeError, InteractionError

    if question["type"] == "confirmation":
        if isinstance(value, bool):
            return value
        raise InteractionError(f"question {question['id']} asks for a confirmation: the value "
                               f"must be true or false, not {value!r}", param="value",
                               code="invalid_answer")
    if not isinstance(value, str):
        raise InteractionError(f"question {question['id']} asks for text: the value must be a "
                               f"string, not {type(value).__name__}", param="value",
                               code="invalid_answer")
    if len(value) > max_chars:
        raise AnswerTooLargeError(f"the answer has {len(value)} characters; at most "
                                  f"{max_chars} are accepted (interaction.max_answer_chars)",
                                  param="value")
    return value


def encode_resolution(value: Any) -> dict:
    if isinstance(value, NoAnswer):
        return {"status": value.reason}
    return {"status": "answered", "value": value}


def decode_resolution(entry: dict) -> Any:
    status = entry.get("status")
    if status == "answered":
        return entry.get("value")
    return NoAnswer(status or "cancelled")


def public_question(record: dict) -> dict:
    """The `interaction` field of the wire format."""
    return {key: record.get(key) for key in ("id", "type", "title", "message", "placeholder",
                                             "timeout_s", "expires_at")}


def new_question(fields: dict, *, run_id: str, seq: int, now: Optional[float] = None) -> dict:
    import secrets
    import time

    now = time.time() if now is None else now
    return {**fields, "id": "q_" + secrets.token_hex(12), "run_id": run_id, "seq": seq,
            "created_at": now, "expires_at": now + fields["timeout_s"], "status": "pending"}
