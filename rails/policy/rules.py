"""The permission check of one action run: `decide(name, metadata, meta, caller, identity)`.

Per action (`@action(...)` keywords or config.yml `actions_metadata`):
- `roles`: the user needs at least one of them;
- `organisations`: the user's organisation must be one of them;
- `callers`: which callers may run it, of `flow` (a flow's `execute`), `model` (the model's
  choice), `http` (the actions server's `/v1/actions/run` and MCP `tools/call`) and `button`.
  Default: every caller but `model`; the model gets read-only actions, others only when
  `callers` names `model`;
- `confirm`: whether the model's choice needs the user's confirmation first (default: when
  the action is destructive, by MCP's meaning: not read-only and not `destructive: false`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from rails.errors import ActionError
from rails.policy.identity import Identity

CALLERS = ("flow", "model", "http", "button")
POLICY_KEYS = frozenset({"roles", "organisations", "organizations", "callers", "confirm"})
DEFAULT_CALLERS = frozenset({"flow", "http", "button"})


class PermissionDenied(ActionError):
    """The caller or the user may not run the action; says which rule refused. `decision`:
    the Decision behind it (action, caller, rule, reason, user)."""

    def __init__(self, message: str, *, action_name: Optional[str] = None,
                 decision: Optional["Decision"] = None):
        super().__init__(message, action_name=action_name)
        self.decision = decision


@dataclass
class Decision:
    """One permission decision, kept for `explain()` and the log."""

    action: str
    caller: str
    allowed: bool
    reason: str
    needs_confirmation: bool = False
    identity: dict = field(default_factory=dict)
    # The key that refused (`callers`, `roles`, `organisations`), or `confirm` when the
    # user must confirm first; None when nothing stood in the way.
    rule: Optional[str] = None

    def as_dict(self) -> dict:
        return {"action": self.action, "caller": self.caller, "allowed": self.allowed,
                "needs_confirmation": self.needs_confirmation, "reason": self.reason,
                "rule": self.rule, "user": self.identity}


def denial_message(error: PermissionDenied) -> str:
    """What the bot says when an action it was to run is refused."""
    return f"I'm sorry, I can't do that: {error}."


def check_policy_keys(name: str, meta: Mapping[str, Any]) -> None:
    """A wrong type or an unknown caller is an error naming the action and the key."""
    from rails.errors import ConfigError

    for key in ("roles", "organisations", "organizations", "callers"):
        value = meta.get(key)
        if value is None:
            continue
        if not isinstance(value, (list, tuple, set, frozenset)) or not all(
                isinstance(item, str) for item in value):
            raise ConfigError(f"action '{name}': `{key}` must be a list of names",
                              key=f"{name}.{key}")
    unknown = set(meta.get("callers") or ()) - set(CALLERS)
    if unknown:
        raise ConfigError(f"action '{name}': unknown caller(s) {sorted(unknown)} in `callers`; "
                          f"use {', '.join(CALLERS)}", key=f"{name}.callers")
    if meta.get("confirm") is not None and not isinstance(meta.get("confirm"), bool):
        raise ConfigError(f"action '{name}': `confirm` must be true or false",
                          key=f"{name}.confirm")


def decide(name: str, metadata: Any, meta: Mapping[str, Any], caller: str,
           identity: Optional[Identity]) -> Decision:
    """Whether `caller` may run action `name` for `identity` (metadata: its ActionMetadata,
    meta: its raw keys with config overrides)."""
    identity = identity or Identity()
    who = identity.as_context()
    if caller not in CALLERS:
        raise ValueError(f"unknown caller {caller!r}; use one of {', '.join(CALLERS)}")
    callers = meta.get("callers")
    if callers is not None:
        allowed_callers = frozenset(callers)
    else:
        allowed_callers = DEFAULT_CALLERS | (
            {"model"} if metadata is not None and metadata.is_read_only else set())
    if caller not in allowed_callers:
        reason = (f"action '{name}' is not read-only and not offered to the model (add "
                  "`model` to its `callers`, or mark it `read_only: true`)"
                  if caller == "model" and callers is None else
                  f"action '{name}' may not be run by the caller `{caller}` (allowed: "
                  f"{', '.join(sorted(allowed_callers)) or 'none'})")
        return Decision(name, caller, False, reason, identity=who, rule="callers")
    roles = meta.get("roles")
    if roles and not identity.roles.intersection(roles):
        return Decision(name, caller, False,
                        f"action '{name}' needs one of the roles {', '.join(roles)}; the user "
                        f"is {identity.describe()}", identity=who, rule="roles")
    organisations = meta.get("organisations", meta.get("organizations"))
    if organisations and identity.organisation not in organisations:
        return Decision(name, caller, False,
                        f"action '{name}' is not available to organisation "
                        f"{identity.organisation or '(none)'}", identity=who,
                        rule="organisations")
    confirm = meta.get("confirm")
    if confirm is None:
        confirm = metadata is not None and metadata.is_destructive
    if caller == "model" and confirm:
        return Decision(name, caller, True, f"action '{name}' is destructive: the user must "
                        "confirm it before it runs", needs_confirmation=True, identity=who,
                        rule="confirm")
    return Decision(name, caller, True, "allowed", identity=who)
