"""Cancelling a turn whose client went away: a non-streamed chat completion that nobody waits
for any more should not keep running actions and model calls. (Streamed answers need nothing
of this: Starlette cancels a streaming response when the client disconnects.)"""
from __future__ import annotations

import logging
from typing import Any, Awaitable

log = logging.getLogger("rails.server")


class ClientDisconnected(Exception):
    """The client closed the connection before the answer was ready; the work was cancelled."""


async def unless_disconnected(receive: Any, work: Awaitable) -> Any:
    """Await `work` (in the current task) while watching `receive` for `http.disconnect`;
    on a disconnect the current task is cancelled and ClientDisconnected raised. Call it once
    the request body has been read (what `receive` then gives is the disconnect)."""
    import asyncio

    task = asyncio.current_task()
    gone = False

    async def watch() -> None:
        nonlocal gone
        while (await receive())["type"] != "http.disconnect":
            pass
        gone = True
        task.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        return await work
    except asyncio.CancelledError:
        uncancel = getattr(task, "uncancel", None)
        if gone and (uncancel is None or uncancel() == 0):
            log.info("the client disconnected; its turn was cancelled")
            raise ClientDisconnected() from None
        raise
    finally:
        watcher.cancel()
