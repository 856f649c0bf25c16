"""Size checks for the methods an expression may call on its values, made before the call:
the methods whose result can be far bigger than their inputs (`"a".ljust(10**9)`,
`(0).to_bytes(10**9, "big")`, `"ab".replace("a", $long)`, `$sep.join($many)`), and the ones
that grow a list or dict in place (checked by slots after the call would be too late for
memory, so the growth is estimated first). Every other method builds results no bigger than
its inputs, and the evaluator checks what comes back."""
from __future__ import annotations

from typing import Any, Callable

from rails.lang.value_limits import (SMALL, check_int_bits, check_size, size_of, too_large,
                                     value_limit)

_TEXT = (str, bytes, bytearray)


def _arg(args: list, kwargs: dict, index: int, name: str, default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _number(value: Any) -> int:
    return value if type(value) is int else 0


def _padded(owner: Any, args: list, kwargs: dict) -> int:
    return max(_number(_arg(args, kwargs, 0, "width")), len(owner))


def _expanded(owner: Any, args: list, kwargs: dict) -> int:
    tab = "\t" if type(owner) is str else b"\t"
    tabsize = _number(_arg(args, kwargs, 0, "tabsize", 8))
    return len(owner) + owner.count(tab) * max(tabsize, 0)


def _replaced(owner: Any, args: list, kwargs: dict) -> int:
    old, new = _arg(args, kwargs, 0, "old"), _arg(args, kwargs, 1, "new")
    if type(old) is not type(owner) or type(new) is not type(owner):
        return len(owner)  # the call fails on its own
    count = _arg(args, kwargs, 2, "count", -1)
    found = owner.count(old) if old else len(owner) + 1
    if type(count) is int and count >= 0:
        found = min(found, count)
    return len(owner) + found * max(len(new) - len(old), 0)


def _joined(owner: Any, args: list, kwargs: dict) -> int:
    items = _arg(args, kwargs, 0, "iterable")
    if isinstance(items, _TEXT):  # joins its characters
        return len(owner) * max(len(items) - 1, 0) + len(items)
    if not isinstance(items, (list, tuple, set, frozenset, dict)):
        return len(owner)
    size = len(owner) * max(len(items) - 1, 0)
    for item in items:
        if isinstance(item, _TEXT):
            size += len(item)
    return size


def _translated(owner: Any, args: list, kwargs: dict) -> int:
    table = _arg(args, kwargs, 0, "table")
    widest = 1
    if isinstance(table, dict):
        for value in table.values():
            if isinstance(value, _TEXT):
                widest = max(widest, len(value))
    return len(owner) * widest


def _split(owner: Any, args: list, kwargs: dict) -> int:
    if len(owner) <= SMALL:
        return len(owner)
    separator = _arg(args, kwargs, 0, "sep")
    if isinstance(separator, _TEXT) and separator:
        pieces = owner.count(separator) + 1
    else:  # whitespace or line ends: at most one piece per two characters
        pieces = len(owner) // 2 + 1
    return len(owner) + 16 * pieces  # (each piece: a slot and an object, as size_of counts)


def _encoded(owner: Any, args: list, kwargs: dict) -> int:
    return 4 * len(owner)


def _hexed(owner: Any, args: list, kwargs: dict) -> int:
    return 3 * len(owner)


def _to_bytes(owner: Any, args: list, kwargs: dict) -> int:
    return _number(_arg(args, kwargs, 0, "length", 1))


ESTIMATES: dict[str, Callable[[Any, list, dict], int]] = {
    "ljust": _padded, "rjust": _padded, "center": _padded, "zfill": _padded,
    "expandtabs": _expanded, "replace": _replaced, "join": _joined, "translate": _translated,
    "split": _split, "rsplit": _split, "splitlines": _split, "encode": _encoded,
    "hex": _hexed, "to_bytes": _to_bytes,
}
_OWNERS = frozenset({str, bytes, bytearray, int, bool})
GROWING = frozenset({"append", "extend", "insert", "update", "setdefault", "__iadd__"})


def check_method_call(owner: Any, name: str, args: list, kwargs: dict) -> None:
    """Raise ExpressionLimitError when calling `owner.name(*args, **kwargs)` would build a
    value over the limit. Cheap for the usual calls (a type test and a dict look-up)."""
    kind = type(owner)
    if kind in _OWNERS:
        estimate = ESTIMATES.get(name)
        if estimate is not None:
            check_size(estimate(owner, args, kwargs), f"the result of .{name}()")
        return
    if owner is int and name == "from_bytes":
        data = _arg(args, kwargs, 0, "bytes")
        if isinstance(data, (bytes, bytearray)) and len(data) * 8 > SMALL:
            check_int_bits(len(data) * 8, "int.from_bytes()")
        return
    if (kind is list or kind is dict) and name in GROWING:
        _check_growth(owner, name, args, kwargs)


def _check_growth(owner: Any, name: str, args: list, kwargs: dict) -> None:
    """Growing a list or dict in place: its slots after the call, and what is added."""
    added = list(args) + list(kwargs.values())
    slots = len(owner) + 1
    if name in ("extend", "update") and added and hasattr(added[0], "__len__"):
        slots = len(owner) + len(added[0])
    limit = value_limit.get()
    size = 8 * slots
    if size > limit:
        raise too_large(f"the {type(owner).__name__} after .{name}()", size, limit)
    if name != "extend" and name != "update":
        size += size_of(added, limit)
        if size > limit:
            raise too_large(f"the {type(owner).__name__} after .{name}()", size, limit)
