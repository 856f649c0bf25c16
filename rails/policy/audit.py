"""The per-turn record of permission decisions and of the model's tool-choice steps.

LLMRails sets one `ActionAudit` per turn in the `current_audit` context variable; the
dispatcher appends each permission decision, the choice loop each step. `explain()` and the
response log read it."""
from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Optional

log = logging.getLogger("rails.policy")


@dataclass
class ActionAudit:
    decisions: list = field(default_factory=list)   # rails.policy.rules.Decision
    steps: list = field(default_factory=list)       # dicts of the choice loop

    def decision(self, decision) -> None:
        self.decisions.append(decision)


current_audit: ContextVar[Optional[ActionAudit]] = ContextVar("rails_action_audit",
                                                              default=None)


def record_decision(decision) -> None:
    audit = current_audit.get()
    if audit is not None:
        audit.decision(decision)
    if not decision.allowed:
        log.warning("denied: %s (caller %s)", decision.reason, decision.caller)


def enforce(decision, confirmed: bool = False):
    """Records `decision`; the PermissionDenied to fail with, or None when the action may run
    (`confirmed`: the user already confirmed a destructive choice of the model)."""
    from rails.policy.rules import PermissionDenied

    if decision.needs_confirmation and confirmed:
        decision.reason = "confirmed by the user"
        decision.needs_confirmation = False
    record_decision(decision)
    if not decision.allowed:
        return PermissionDenied(f"permission denied: {decision.reason}",
                                action_name=decision.action, decision=decision)
    if decision.needs_confirmation:
        return PermissionDenied(f"confirmation needed: {decision.reason}",
                                action_name=decision.action, decision=decision)
    return None


def record_step(step: dict) -> None:
    audit = current_audit.get()
    if audit is not None:
        audit.steps.append(step)
