"""Running the async core from synchronous code, including code that already runs inside an
event loop (Jupyter, FastAPI handlers), without patching that loop."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, AsyncIterator, Coroutine, Iterator

if TYPE_CHECKING:
    import asyncio


class LoopThread:
    """A private event loop on a daemon thread. Sync calls always run here, so objects bound
    to a loop (pooled HTTP clients) stay on one loop across calls."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        import asyncio  # here, not at the top: `import rails` stays light

        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="dialog-rails-loop",
                                          daemon=True)
                thread.start()
                self._loop = loop
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
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

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

        return asyncio.run_coroutine_threadsafe(coroutine, self._ensure())
