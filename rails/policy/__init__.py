"""Who may run an action, and through which caller; confirmation of destructive actions the
model chooses. Flows keep NeMo's behaviour unless an action says otherwise."""
from __future__ import annotations

from rails.policy.identity import Identity, identity_from_context
from rails.policy.rules import CALLERS, Decision, PermissionDenied, decide

__all__ = ["CALLERS", "Decision", "Identity", "PermissionDenied", "decide",
           "identity_from_context"]
