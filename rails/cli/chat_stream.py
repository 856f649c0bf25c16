"""How `dialog-rails chat` shows a streamed answer, whether the rails run here or on a server:
text as it arrives on stdout, UI events as they come (status and notifications on stderr), the
buttons and the question an action asks kept for the end of the answer, and an answer that
ends with an error (a rail blocked it, the model failed, the connection dropped) reported once
instead of printed as if it were text."""
from __future__ import annotations

from typing import Callable, Optional, TextIO

from rails.errors import RailsError

# UI events that belong to the finished message rather than to its progress.
CLOSING_EVENTS = ("buttons", "interaction")


class AnswerStopped(RailsError):
    """A streamed answer ended with an error instead of its end."""


def stream_error(error: dict) -> AnswerStopped:
    """The error an error chunk (NeMo's `{"error": {message, type, param, code}}`) stands for."""
    message = str(error.get("message") or "the answer ended with an error")
    code = error.get("code")
    return AnswerStopped(f"{message} ({code})" if code else message)


class StreamedAnswer:
    """One answer being streamed: `text` prints a piece at once, `ui_event` shows (or keeps)
    an event, `message` is what arrived; `close` ends the line however the answer ended."""

    def __init__(self, out: TextIO, on_ui_event: Callable[[dict], None]):
        self.out, self.on_ui_event = out, on_ui_event
        self.pieces: list[str] = []
        self.closing: dict = {}
        self._line_open = False

    def text(self, piece: str) -> None:
        if not piece:
            return
        self.pieces.append(piece)
        self.out.write(piece)
        self.out.flush()
        self._line_open = not piece.endswith("\n")

    def ui_event(self, event: dict) -> None:
        if event.get("type") in CLOSING_EVENTS:  # shown with the message, once it is whole
            self.closing[event["type"]] = event.get("data")
        else:
            self.on_ui_event(event)

    def message(self) -> dict:
        return {"role": "assistant", "content": "".join(self.pieces), **self.closing}

    def close(self, finished: bool) -> None:
        """A whole answer ends with a newline, as when it is printed at once (nothing when it
        is only buttons or a question); a cut one only gets its open line ended, so the error
        or the prompt that follows starts on a line of its own."""
        if (self.pieces or not self.closing) if finished else self._line_open:
            self.out.write("\n")
        self._line_open = False
        self.out.flush()


def chunk_error(piece: object) -> Optional[dict]:
    """The error of an error chunk of `stream_async` (None for text)."""
    error = getattr(piece, "error", None)
    return error if isinstance(error, dict) else None
