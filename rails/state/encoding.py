"""Compact JSON for what the stores keep. orjson is used when it is installed (several times
faster on event lists, which are most of a turn's bytes); the standard library otherwise.
Values JSON cannot hold travel as their string form, as they do in HTTP responses."""
from __future__ import annotations

import json
import zlib
from typing import Any

try:
    import orjson as _orjson
except ImportError:  # optional speed-up
    _orjson = None

_compact = json.JSONEncoder(separators=(",", ":"), default=str, ensure_ascii=False)


def dumps(value: Any) -> str:
    if _orjson is not None:
        try:
            return _orjson.dumps(value, default=str).decode()
        except TypeError:  # integers past 64 bits, non-string keys: the slower, general path
            pass
    return _compact.encode(value)


def loads(text: str | bytes) -> Any:
    if _orjson is not None:
        try:
            return _orjson.loads(text)
        except ValueError:  # NaN/Infinity written by the standard library
            pass
    return json.loads(text)


def pack(value: Any) -> bytes:
    """JSON, deflated: a turn's events shrink about eightfold (a store holds every turn of
    every thread) for some tens of microseconds."""
    return deflate(dumps(value).encode())


def deflate(data: bytes) -> bytes:
    """The compression step of `pack` alone; it releases the GIL, so a store may run it on a
    worker thread while the event loop goes on."""
    return zlib.compress(data, 1)


def unpack(blob: str | bytes) -> Any:
    """What `pack` made; plain JSON (text or bytes) is read as it is."""
    if isinstance(blob, str):
        return loads(blob)
    if blob[:1] in (b"[", b"{"):
        return loads(blob)
    return loads(zlib.decompress(blob))
