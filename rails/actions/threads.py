"""`ActionThreads`: the bounded pool of threads that runs synchronous actions, so that none of
them blocks the event loop (and with it every other conversation and the server's `/health`).

A thread cannot be stopped from outside: a sync action that overruns its deadline fails the
turn at once, but its thread runs on until the function returns. While every thread is busy,
new sync actions wait in the queue; the time waited counts against their own deadline, and one
that never got a thread says so. The threads are daemons, so a process can exit while one of
them is still stuck in an action."""
from __future__ import annotations

import concurrent.futures
import contextvars
import queue
import threading
from typing import Any, Callable

DEFAULT_ACTION_THREADS = 8


class RaisedBaseException(Exception):
    """Carries what a function raised that is not an Exception (SystemExit, GeneratorExit,
    KeyboardInterrupt...) back to the event loop; `original` is that exception."""

    def __init__(self, original: BaseException):
        super().__init__(f"{type(original).__name__}: {original}")
        self.original = original
        self.__cause__ = original


class ActionThreads:
    def __init__(self, size: int = DEFAULT_ACTION_THREADS, name: str = "dialog-rails-action"):
        if size < 1:
            raise ValueError("an action thread pool needs at least one thread")
        self.size, self.name = size, name
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._busy = 0

    @property
    def busy(self) -> int:
        """How many threads are running an action right now."""
        return self._busy

    def submit(self, fn: Callable[..., Any], /, *args: Any,
               **kwargs: Any) -> concurrent.futures.Future:
        """Run `fn(*args, **kwargs)` on a pool thread, in a copy of the caller's context
        variables. Cancelling the future before a thread took it means it never runs."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        context = contextvars.copy_context()
        self._queue.put((future, context, fn, args, kwargs))
        with self._lock:
            # A new thread only when every existing one may be busy: threads start lazily.
            if len(self._threads) < self.size and self._busy + self._queue.qsize() > len(
                    self._threads):
                thread = threading.Thread(target=self._work, daemon=True,
                                          name=f"{self.name}-{len(self._threads) + 1}")
                self._threads.append(thread)
                thread.start()
        return future

    def _work(self) -> None:
        while True:
            future, context, fn, args, kwargs = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while it waited: its deadline passed
            with self._lock:
                self._busy += 1
            try:
                result = context.run(fn, *args, **kwargs)
            except Exception as error:
                future.set_exception(error)
            except BaseException as error:  # noqa: BLE001 - the action's failure, whatever it is
                # Re-raised by `await` on the loop, a GeneratorExit or SystemExit would not
                # behave like an ordinary error there: it travels wrapped.
                future.set_exception(RaisedBaseException(error))
            else:
                future.set_result(result)
            finally:
                with self._lock:
                    self._busy -= 1
            del future, context, fn, args, kwargs  # drop references while idle
