"""The action system: `@action`, `ActionResult`, the registry/dispatcher and the remote client.

`import rails.actions` stays light: the remote client is imported on first use, and httpx
only for `https://` actions servers. NeMo's module paths `.actions` and `.action_dispatcher`
exist too, so ported imports keep working."""
from __future__ import annotations

from rails.actions.decorator import ActionResult, action
from rails.actions.dispatcher import ActionDispatcher
from rails.actions.outcome import ActionOutcome

__all__ = ["Action", "ActionDispatcher", "ActionOutcome", "ActionResult", "Button", "Message",
           "RemoteActionsClient", "action", "action_callback", "ask", "emit", "step"]

# Interactive actions (rails.interaction), reachable from here so that Chainlit code ports as
# `import rails.actions as cl`; imported on first use.
_INTERACTIVE = frozenset({"Action", "Button", "Message", "action_callback", "ask", "emit",
                          "step"})


def __getattr__(name: str):
    if name == "RemoteActionsClient":
        from rails.actions.remote import RemoteActionsClient
        return RemoteActionsClient
    if name in _INTERACTIVE:
        import rails.interaction

        return getattr(rails.interaction, name)
    raise AttributeError(f"module 'rails.actions' has no attribute {name!r}")
