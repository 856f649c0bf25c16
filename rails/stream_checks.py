"""Output rails on streamed text (`rails.output.streaming`): the text is checked window by
window while it streams, as NeMo Guardrails 0.15+ does.

Tokens are gathered until `chunk_size` of them wait; the window checked is those tokens after
the last `context_size` tokens of the previous window (so a sentence cut in two is seen
whole). With `stream_first` the new tokens go out before their check, otherwise after it. When
a rail blocks, the stream ends with NeMo's error chunk, a JSON string:
`{"error": {"message": "Blocked by <rail> rails.", "type": "guardrails_violation",
"param": "<rail>", "code": "content_blocked"}}`; a rail that fails ends it the same way with
`"type": "internal_error", "code": "rail_execution_failure"` (fail closed). Rails only pass or
block streamed text: a rewrite cannot reach tokens already sent, so it is not applied.

A window is checked like `LLMRails.check` checks an answer: one output-rails-only turn over the
context messages and the last user message, with the window as the assistant's message
(parallel rails stay parallel). Each check is recorded (`StreamCheck`) for `explain()` and the
turn's log; the check's own turn does not replace the streamed turn as "the last turn"."""
from __future__ import annotations

import json
import logging
import time
from contextvars import ContextVar
from typing import Any, Callable, Optional

log = logging.getLogger("rails")

# True while a window is checked: LLMRails keeps the streamed turn as its last turn then.
checking_window: ContextVar[bool] = ContextVar("rails_checking_window", default=False)


class StreamError(str):
    """The error chunk that ends a stream (a JSON string, NeMo's format); `error` holds the
    dict, so the server can send it as an SSE error event."""

    error: dict
    checks: list = []  # the window checks up to this one (StreamCheck), for the server's log

    def __new__(cls, error: dict) -> "StreamError":
        text = super().__new__(cls, json.dumps({"error": error}))
        text.error = error
        return text


def blocked_error(rail: str) -> StreamError:
    return StreamError({"message": f"Blocked by {rail} rails.", "type": "guardrails_violation",
                        "param": rail, "code": "content_blocked"})


def failed_error(rail: str, message: str) -> StreamError:
    return StreamError({"message": f"Internal error in {rail} rail: {message}",
                        "type": "internal_error", "param": rail,
                        "code": "rail_execution_failure"})


class Blocked(Exception):
    def __init__(self, chunk: StreamError):
        self.chunk = chunk


class WindowChecker:
    """Passes checked chunks to `emit`; raises Blocked with the error chunk when a window
    does not pass (with `stream_first`, that window's chunks were emitted already)."""

    def __init__(self, rails: Any, conversation: list[dict], chunk_size: int,
                 context_size: int, stream_first: bool, emit: Callable[[Any], None]):
        self.rails = rails
        # What a window is checked with: the context messages and the last user message (as
        # NeMo's streaming rails do); not the whole history, so a check costs the same in a
        # long conversation.
        last_user = next((m for m in reversed(conversation) if m.get("role") == "user"), None)
        self.conversation = [m for m in conversation if m.get("role") == "context"]
        if last_user is not None:
            self.conversation.append(last_user)
        self.chunk_size, self.context_size = chunk_size, context_size
        self.stream_first = stream_first
        self.emit = emit
        self.pending: list[tuple[str, Any]] = []   # (text, chunk to emit) not yet checked
        self.context: list[str] = []                # tail of the previous window
        self.checks: list[Any] = []                 # StreamCheck per window, in order

    async def token(self, text: str, chunk: Any = None) -> None:
        self.pending.append((text, text if chunk is None else chunk))
        while len(self.pending) >= self.chunk_size:
            await self._window(self.chunk_size)

    async def end_of_message(self) -> None:
        """Check what is left of a message; the next message starts without context."""
        while self.pending:
            await self._window(self.chunk_size)
        self.context = []

    async def _window(self, size: int) -> None:
        new, self.pending = self.pending[:size], self.pending[size:]
        texts = [text for text, _ in new]
        window = "".join(self.context + texts)
        if self.stream_first:
            self._send(new)
        error = await self._check(window)
        if error is not None:
            raise Blocked(error)
        if not self.stream_first:
            self._send(new)
        if self.context_size:
            self.context = (self.context + texts)[-self.context_size:]

    def _send(self, new: list[tuple[str, Any]]) -> None:
        for _, chunk in new:
            self.emit(chunk)

    async def _check(self, window: str) -> Optional[StreamError]:
        from rails.options import StreamCheck

        check = StreamCheck(window=len(self.checks) + 1, text=window, status="passed",
                            sent_before_check=self.stream_first, started_at=time.time())
        error = await self._run_rails(window, check)
        check.finished_at = time.time()
        check.duration = check.finished_at - check.started_at
        if error is not None:
            check.status = ("blocked" if error.error["type"] == "guardrails_violation"
                            else "failed")
            check.rail = error.error["param"]
        self.checks.append(check)
        return error

    async def _run_rails(self, window: str, check: Any) -> Optional[StreamError]:
        from rails.options import ErrorInfo

        messages = list(self.conversation)
        if not any(message.get("role") == "user" for message in messages):
            messages.append({"role": "user", "content": ""})
        messages.append({"role": "assistant", "content": window})
        token = checking_window.set(True)
        try:
            response = await self.rails.generate_async(
                messages=messages, options={"rails": ["output"], "log": {
                    "activated_rails": True, "llm_calls": True}})
        except Exception as error:  # the rail could not run: the text does not pass
            log.error("output rails failed on a streamed chunk: %r", error)
            check.errors.append(ErrorInfo(type=type(error).__name__, message=str(error)))
            return failed_error(_output_rails_name(self.rails), f"{type(error).__name__}: "
                                f"{error}")
        finally:
            checking_window.reset(token)
        rails_log = response.log
        activated = [rail for rail in (rails_log.activated_rails if rails_log else [])
                     if rail.type == "output"]
        check.activated_rails = activated
        check.llm_calls = list(rails_log.llm_calls or []) if rails_log else []
        if rails_log is not None and rails_log.errors:
            check.errors = list(rails_log.errors)
            rail = activated[-1].name if activated else _output_rails_name(self.rails)
            return failed_error(rail, rails_log.errors[0].message)
        blocker = next((rail.name for rail in activated if rail.stop), None)
        message = response.response[-1] if response.response else {}
        if blocker is None and message.get("role") == "exception":
            blocker = activated[-1].name if activated else _output_rails_name(self.rails)
        return blocked_error(blocker) if blocker is not None else None


def _output_rails_name(rails: Any) -> str:
    flows = rails.config.rails.output.flows
    return flows[0] if len(flows) == 1 else "output"
