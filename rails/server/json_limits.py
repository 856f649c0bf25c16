"""Parsing a request body as JSON within limits both servers share: nesting depth, the length
of a number literal, finite numbers only, and no lone surrogates in strings (valid JSON
escapes, but not text: they fail later, in a store or an encoder, as a 500).

`json.loads` alone answers a deep body with RecursionError and a 5000-digit integer with a
ValueError from int(); both become a `BodyError` (a ValueError) naming the limit."""
from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
MAX_NUMBER_LENGTH = 100

_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


class BodyError(ValueError):
    """A body that is not acceptable JSON; the message says why."""


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_LENGTH:
        raise BodyError(f"a number in the body has {len(text)} digits; at most "
                        f"{MAX_NUMBER_LENGTH} are accepted")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_LENGTH:
        raise BodyError(f"a number in the body is {len(text)} characters long; at most "
                        f"{MAX_NUMBER_LENGTH} are accepted")
    value = float(text)
    if math.isinf(value):
        raise BodyError(f"the number {text} is out of range")
    return value


def _constant(text: str) -> Any:
    raise BodyError(f"{text} is not valid JSON (only finite numbers are)")


def parse_json(raw: bytes) -> Any:
    try:
        value = json.loads(raw, parse_int=_integer, parse_float=_float,
                           parse_constant=_constant)
    except BodyError:
        raise
    except RecursionError:
        raise BodyError(f"the body is nested more than {MAX_DEPTH} levels deep") from None
    except UnicodeDecodeError as error:
        raise BodyError(f"the body is not UTF-8: {error.reason} at byte {error.start}") from None
    except ValueError as error:  # json.JSONDecodeError included
        raise BodyError(f"the body is not valid JSON: {error}") from None
    # Cheap pre-tests: a body with few brackets cannot be deep; one without an escaped
    # surrogate cannot hold a lone one (json.loads pairs valid ones).
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
        _check_depth(value)
    if _ESCAPED_SURROGATE.search(raw):
        _check_text(value)
    return value


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BodyError(f"the body is nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values()
                         if isinstance(child, (dict, list)))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item
                         if isinstance(child, (dict, list)))


def _check_text(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _encodable(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                _encodable(key)
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)


def _encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise BodyError(f"a string in the body holds a lone surrogate (\\u{ord(text[error.start]):04x}"
                        f" at position {error.start}): not valid Unicode text") from None
