"""Where the UI events a remote action emitted go: an async callable taking one
`{"type", "data"}` event, set by rails.interaction while an action runs (a module of its own so
that setting it needs no HTTP client and no event loop machinery at start-up)."""
from __future__ import annotations

import contextvars
from typing import Callable, Optional

ui_event_sink: contextvars.ContextVar[Optional[Callable]] = contextvars.ContextVar(
    "rails_remote_ui_event_sink", default=None)
