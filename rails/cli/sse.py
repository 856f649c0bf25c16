"""Server-sent events read from the text of a response: `(event name, data)` per event, as
the chat server sends them (`data:` lines holding OpenAI chunks, `event: rails.ui` for the UI
events of interactive actions). The event stream format of the HTML standard: an event ends at
a blank line, its `data:` lines are joined by newlines, `:` lines are comments (keep-alives),
and an event the stream cuts off before its blank line is dropped.

NeMo Guardrails' older servers send a stream's tokens as bare text under the same content
type; `is_event_stream` tells the two apart by the first bytes."""
from __future__ import annotations

import re
from typing import AsyncIterator

DEFAULT_EVENT = "message"
_FIELD_START = re.compile(r"(?:data|event|id|retry)?:")


def is_event_stream(first_text: str) -> bool:
    """Whether a stream starting with `first_text` is made of SSE fields (else bare text)."""
    return bool(_FIELD_START.match(first_text.lstrip("\r\n")))


async def lines_of(chunks: AsyncIterator[str]) -> AsyncIterator[str]:
    """The lines of a text stream, without their line ends (CRLF, LF or CR)."""
    pending = ""
    async for chunk in chunks:
        pending += chunk
        *lines, pending = re.split(r"\r\n|\n|\r(?!$)", pending)
        for line in lines:
            yield line
    if pending:
        yield pending.rstrip("\r")


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    event, data = DEFAULT_EVENT, []
    async for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = DEFAULT_EVENT, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            event = value or DEFAULT_EVENT
        elif name == "data":
            data.append(value)
