"""The action system: `@action`, `ActionResult`, the registry/dispatcher and the remote client.

`import rails.actions` stays light: the HTTP client (httpx) is only imported by
`rails.actions.remote` when an actions server is configured."""
from __future__ import annotations

from rails.actions.decorator import ActionResult, action
from rails.actions.dispatcher import ActionDispatcher, ActionOutcome

__all__ = ["ActionDispatcher", "ActionOutcome", "ActionResult", "action"]
