"""`StreamingHandler`: NeMo's object for consuming tokens as an async iterator.

Set it as the streaming handler of a context (`rails.context.streaming_handler_var.set(h)`) and
every model call in that context pushes its tokens into it; a custom action may also push text
of its own with `await h.push_chunk(text)`. Iterate it to read the chunks; it ends after
`await h.finish()`."""
from __future__ import annotations

import asyncio
from typing import AsyncIterator, Optional

_END = object()


class StreamingHandler:
    def __init__(self, enable_print: bool = False, enable_buffer: bool = False) -> None:
        self.enable_print = enable_print
        self.enable_buffer = enable_buffer
        self.buffer = ""            # text held back while buffering
        self.completion = ""        # all text pushed so far
        self.prefix: Optional[str] = None
        self.pipe_to: Optional[StreamingHandler] = None
        self._queue: asyncio.Queue = asyncio.Queue()
        self._done = False

    def set_pattern(self, prefix: Optional[str] = None, suffix: Optional[str] = None) -> None:
        """Strip `prefix` from the start of the streamed text (`suffix` is accepted for NeMo's
        signature; tokens already sent cannot be taken back)."""
        self.prefix = prefix

    def set_pipe_to(self, another_handler: "StreamingHandler") -> None:
        self.pipe_to = another_handler

    async def enable_buffering(self) -> None:
        self.enable_buffer, self.buffer = True, ""

    async def disable_buffering(self) -> None:
        self.enable_buffer = False
        text, self.buffer = self.buffer, ""
        if text:
            await self._emit(text)

    async def __call__(self, token: str) -> None:  # the engine's token callback
        await self.push_chunk(token)

    async def push_chunk(self, chunk: Optional[str]) -> None:
        if chunk is None or self._done:
            return
        if not isinstance(chunk, str):
            chunk = getattr(chunk, "content", str(chunk))
        if not self.completion and self.prefix and chunk.startswith(self.prefix):
            chunk = chunk[len(self.prefix):]
        self.completion += chunk
        if self.enable_buffer:
            self.buffer += chunk
            return
        await self._emit(chunk)

    async def _emit(self, chunk: str) -> None:
        if self.enable_print:
            print(chunk, end="", flush=True)
        if self.pipe_to is not None:
            await self.pipe_to.push_chunk(chunk)
        else:
            self._queue.put_nowait(chunk)

    async def finish(self) -> None:
        """No more chunks; iteration ends once the queued ones are read."""
        if self._done:
            return
        if self.enable_buffer and self.buffer:
            await self.disable_buffering()
        self._done = True
        if self.pipe_to is None:
            self._queue.put_nowait(_END)

    async def wait(self) -> str:
        """The whole completion, once `finish` was called."""
        async for _ in self:
            pass
        return self.completion

    def __aiter__(self) -> AsyncIterator[str]:
        return self

    async def __anext__(self) -> str:
        chunk = await self._queue.get()
        if chunk is _END:
            self._queue.put_nowait(_END)  # later iterations end too
            raise StopAsyncIteration
        return chunk
