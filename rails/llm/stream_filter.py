"""Streams only the bot's words from a completion, so the streamed text matches the message
the engine makes of the whole completion.

A bot-message completion reads `Bot message: "Hello!"` (or `"Hello!"`); the user should see
`Hello!`. The filter holds tokens back until it knows whether a known prefix starts the answer,
then forwards the text. When the answer was quoted, a quote that may close it is held back and
dropped at the end. With `stop_at_line_end_quote`, the stream ends at the first line that ends
with a quote (the bot message parser stops there too).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

MESSAGE_PREFIXES = ('Bot message: "', 'bot message: "', '"')


class MessageTokenFilter:
    def __init__(self, handler: Callable[[str], Awaitable[Any]],
                 prefixes: tuple[str, ...] = MESSAGE_PREFIXES,
                 stop_at_line_end_quote: bool = True):
        self.handler = handler
        self.prefixes = prefixes
        self.stop_at_line_end_quote = stop_at_line_end_quote
        self.head = ""        # text before we know the prefix
        self.pending = ""     # body text not yet forwarded
        self.in_body = False
        self.quoted = False   # the answer opened with a quote
        self.done = False

    async def __call__(self, token: str) -> None:
        if self.done:
            return
        if self.in_body:
            await self._body(token)
            return
        self.head += token
        start = self.head.lstrip()
        if not start:
            return
        for prefix in self.prefixes:
            if start.startswith(prefix):
                self.in_body, self.quoted = True, prefix.endswith('"')
                await self._body(start[len(prefix):])
                return
        if any(prefix.startswith(start) for prefix in self.prefixes):
            return  # could still become a prefix
        self.in_body = True
        await self._body(start)

    async def _body(self, text: str) -> None:
        self.pending += text
        if self.stop_at_line_end_quote:
            closing = self.pending.find('"\n')
            if closing >= 0:
                self.done = True
                await self._emit(self.pending[:closing + (0 if self.quoted else 1)])
                self.pending = ""
                return
        quote = self.pending.rfind('"')
        if self.quoted and quote >= 0 and not self.pending[quote + 1:].strip():
            await self._emit(self.pending[:quote])  # the quote may close the message
            self.pending = self.pending[quote:]
        else:
            await self._emit(self.pending)
            self.pending = ""

    async def _emit(self, text: str) -> None:
        if text:
            await self.handler(text)

    async def flush(self) -> None:
        """Forward what is left once the completion has ended."""
        if self.done:
            return
        self.done = True
        if not self.in_body:
            await self._emit(self.head.strip())
            return
        rest = self.pending.rstrip()
        if self.quoted and rest.endswith('"'):
            rest = rest[:-1]
        await self._emit(rest)
