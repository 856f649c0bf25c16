"""`bounded(awaitable, seconds)`: await with a time limit, telling a deadline that cut the work
short (`Expired`) apart from a `TimeoutError` or `CancelledError` the work raised itself, and
from a cancellation that came from outside (a client that went away), which propagates.

Like `asyncio.timeout`, it cancels the current task when the time is up instead of starting a
task of its own (cheap on the hot path), and works on Python 3.10 too."""
from __future__ import annotations

from typing import Any, Awaitable, Optional


class Expired(Exception):
    """The limit passed before the awaitable finished; the awaitable was cancelled."""


async def bounded(awaitable: Awaitable, seconds: Optional[float]) -> Any:
    if seconds is None:
        return await awaitable
    import asyncio

    if seconds <= 0:
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()  # a coroutine never started: no "never awaited" warning
        raise Expired()
    task = asyncio.current_task()
    fired = False

    def fire() -> None:
        nonlocal fired
        fired = True
        task.cancel()

    handle = asyncio.get_running_loop().call_later(seconds, fire)
    uncancelled = False
    try:
        return await awaitable
    except asyncio.CancelledError:
        if fired:
            uncancelled = True
            if _uncancel(task) == 0:
                raise Expired() from None
        raise  # cancelled from outside (as well): that wins
    finally:
        handle.cancel()
        if fired and not uncancelled:  # the work swallowed our cancellation
            _uncancel(task)


def _uncancel(task: Any) -> int:
    """Withdraw one cancellation request; how many remain (Python 3.11+; 0 before)."""
    uncancel = getattr(task, "uncancel", None)
    return uncancel() if uncancel is not None else 0


def cancelled_from_outside() -> bool:
    """Inside an `except CancelledError`: True when the current task is being cancelled
    (someone called `cancel()` on it), False when the code it awaited raised CancelledError on
    its own. Before Python 3.11 this cannot be told apart: always True there."""
    import asyncio

    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return True if cancelling is None else cancelling() > 0
