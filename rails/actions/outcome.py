"""`ActionOutcome`: what executing one action produced, success or failure."""
from __future__ import annotations

from typing import Any, Optional


class ActionOutcome:
    """The result of `ActionDispatcher.execute`.

    `status` is "success" or "failed". On failure `error` is the original exception, traceback
    included (`ActionNotFoundError` for unknown names, `RemoteActionError` for actions server
    failures). `remote` tells whether the actions server ran it. `blocked` is the action's
    `output_mapping` applied to the return value (None when it has no mapping). `raw` is exactly
    what the callable returned (a plain value or an ActionResult)."""

    __slots__ = ("status", "return_value", "events", "context_updates", "error", "remote",
                 "blocked", "raw")

    def __init__(self, status: str, return_value: Any = None, events: Optional[list] = None,
                 context_updates: Optional[dict] = None, error: Optional[BaseException] = None,
                 remote: bool = False, blocked: Optional[bool] = None, raw: Any = None):
        self.status = status
        self.return_value = return_value
        self.events = events
        self.context_updates = context_updates if context_updates is not None else {}
        self.error = error
        self.remote = remote
        self.blocked = blocked
        self.raw = raw

    @property
    def is_success(self) -> bool:
        return self.status == "success"

    def __repr__(self) -> str:
        detail = f"error={self.error!r}" if self.error is not None else \
            f"return_value={self.return_value!r}"
        return f"ActionOutcome(status={self.status!r}, {detail}, remote={self.remote})"
