"""Running the async core from synchronous code, including code that already runs inside an
event loop (Jupyter, FastAPI handlers), without patching that loop."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, AsyncIterator, Coroutine, Iterator

if TYPE_CHECKING:
    import asyncio


class LoopThread:
    """A private event loop on a daemon thread. Sync calls always run here, so objects bound
    to a loop (pooled HTTP clients) stay on one loop across calls.

    A SystemExit or KeyboardInterrupt escaping a task stops asyncio's loop (it re-raises them
    out of `run_forever`), which would leave every later call waiting forever. Calls are
    guarded so that they arrive as errors of the call instead, and a loop that stopped anyway
    is replaced by a new one on the next call."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        import asyncio  # here, not at the top: `import rails` stays light

        with self._lock:
            if (self._loop is None or self._loop.is_closed() or self._thread is None
                    or not self._thread.is_alive()):
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=_run_forever, args=(loop,),
                                          name="dialog-rails-loop", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coroutine: Coroutine) -> Any:
        import asyncio

        loop = self._ensure()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            coroutine.close()
            raise RuntimeError("a synchronous dialog-rails call was made from inside one of its "
                               "own actions; use the async API (`await ..._async`) there")
        return asyncio.run_coroutine_threadsafe(_guarded(coroutine), loop).result()

    def iterate(self, iterable: AsyncIterator) -> Iterator:
        """The items of an async iterator, each as soon as the private loop produces it."""
        import queue

        items: queue.Queue = queue.Queue()
        done = object()

        async def pump() -> None:
            try:
                async for item in iterable:
                    items.put((item, None))
            except BaseException as error:  # re-raised in the caller's thread
                items.put((done, error))
                return
            items.put((done, None))

        self.run_soon(pump())
        while True:
            item, error = items.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item

    def run_soon(self, coroutine: Coroutine) -> Any:
        """Start `coroutine` on the private loop without waiting for it."""
        import asyncio

        return asyncio.run_coroutine_threadsafe(_guarded(coroutine), self._ensure())


async def _guarded(coroutine: Coroutine) -> Any:
    try:
        return await coroutine
    except (SystemExit, KeyboardInterrupt) as error:
        raise RuntimeError(f"the call raised {type(error).__name__}"
                           + (f": {error}" if str(error) else "")) from error


def _run_forever(loop: "asyncio.AbstractEventLoop") -> None:
    try:
        loop.run_forever()
    except BaseException:  # noqa: BLE001 - the thread ends; the next call makes a new loop
        import logging

        logging.getLogger("rails").exception("the private event loop stopped")
