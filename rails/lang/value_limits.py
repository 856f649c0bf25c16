"""The budget of one flow expression: no value over `limits.value_size` bytes (about; default
10 MB) and no integer over `MAX_INT_BITS` bits, checked *before* the value is built, so that
neither memory nor CPU time can run away (`4000000 ** 4000000`, `"%999999999d" % 1`,
`"a".ljust(10**9)`, `[$a] * 99999` rendered into a bot message).

Integers are bounded by bits rather than bytes because their arithmetic is what costs time:
dividing a 2^18-bit number takes about half a second, and division is quadratic. With
operands under 2^17 bits (about 39,000 digits) no single operation takes more than a fraction
of a second; Python itself refuses to print integers of more than 4,300 digits.

Sizes are estimates of what rendering a value costs: a string's length, 8 bytes per slot of a
list, tuple or dict, an object each time it is referenced (a list holding one long string 1000
times renders that string 1000 times). Counting stops as soon as the limit is passed, so
checking a value costs at most the limit's worth of walking, and small values cost next to
nothing (every check starts with the cheap cases)."""
from __future__ import annotations

from contextvars import ContextVar

from rails.lang.expression_errors import ExpressionError

DEFAULT_VALUE_SIZE = 10_000_000
MAX_INT_BITS = 1 << 17
SMALL = 4096  # sizes below this are never a problem: no need to read the limit
_SLOT = 8
_OBJECT = 16

# The limit of the current turn (the runtime sets `limits.value_size` of the config).
value_limit: ContextVar[int] = ContextVar("rails_value_limit", default=DEFAULT_VALUE_SIZE)


class ExpressionLimitError(ExpressionError):
    """An expression would build a value over the limit; nothing was built."""


def too_large(what: str, size: int, limit: int) -> ExpressionLimitError:
    return ExpressionLimitError(f"{what} would be about {size:,} bytes, over the limit of "
                                f"{limit:,} bytes (limits.value_size)")


def check_size(size: int, what: str = "the result") -> None:
    """Raise when `size` (bytes) is over the limit of the current turn."""
    if size > SMALL:
        limit = value_limit.get()
        if size > limit:
            raise too_large(what, size, limit)


def check_int_bits(bits: int, what: str) -> None:
    limit = min(MAX_INT_BITS, value_limit.get() * 8)
    if bits > limit:
        raise ExpressionLimitError(
            f"{what} would be an integer of about {bits:,} bits, over the limit of "
            f"{limit:,} bits (arithmetic on bigger integers takes too long)")


def size_of(value: object, budget: int) -> int:
    """About how many bytes `value` takes to hold and render; stops counting once past
    `budget` (the result is then some number above it). Cycles end there too."""
    total = 0
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is bytes or kind is bytearray:
            total += len(item) + _SLOT
        elif kind is int:
            total += (item.bit_length() >> 3) + _SLOT
        elif kind is list or kind is tuple or kind is set or kind is frozenset:
            total += _SLOT * (len(item) + 1)
            if total > budget:
                return total
            extend(item)
        elif kind is dict:
            total += 2 * _SLOT * (len(item) + 1)
            if total > budget:
                return total
            extend(item.keys())
            extend(item.values())
        else:
            total += _OBJECT
        if total > budget:
            return total
    return total


def check_value(value: object, what: str = "the result") -> None:
    """Raise when `value` is over the limit (its deep size, see `size_of`)."""
    kind = type(value)
    if kind is str or kind is bytes:
        if len(value) > SMALL:
            check_size(len(value), what)
        return
    if kind is int or kind is float or kind is bool or value is None:
        return
    limit = value_limit.get()
    size = size_of(value, limit)
    if size > limit:
        raise too_large(what, size, limit)


def repeated_size(sequence: object, count: int) -> int:
    """The size of `sequence * count`, counted on `sequence` only."""
    if count <= 0:
        return 0
    kind = type(sequence)
    if kind is str or kind is bytes or kind is bytearray:
        return len(sequence) * count
    limit = value_limit.get()
    return size_of(sequence, limit // count + 1) * count
