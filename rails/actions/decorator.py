"""`@action` and `ActionResult`: how user code declares an action and what it may return."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional


def action(is_system_action: Any = False, name: Optional[str] = None,
           execute_async: bool = False,
           output_mapping: Optional[Callable[[Any], bool]] = None,
           timeout: Optional[float] = None, **meta: Any) -> Any:
    """Mark a function, class, staticmethod or classmethod as an action.

    The decorated object gets an `action_meta` dict: `name` (defaults to `__name__`),
    `is_system_action` (system actions always run in-process, never on an actions server, and
    receive the special parameters), `execute_async` (NeMo's flag; every synchronous action runs
    on a worker thread here, never on the event loop), `output_mapping` and any extra keys
    given:
    the metadata of `rails.actions.metadata` (`description`, `similes`/`aliases`, `examples`,
    `validate`, `parameters`, `read_only`, `destructive`, `idempotent`, `open_world`) and the
    permissions of `rails.policy` (`roles`, `organisations`, `callers`, `confirm`).

    `output_mapping` (our extension; NeMo added it after 0.10.1): a callable taking the action's
    return value and returning True when that value means "blocked" (e.g. `lambda allowed: not
    allowed` for a check that returns whether the text is allowed). It is stored here and
    evaluated into `ActionOutcome.blocked`.

    `timeout` (seconds): this action's deadline, instead of `timeouts.action` of config.yml
    (`timeouts.actions.<name>` there overrides it again); `float("inf")`: none of its own, only
    the turn's deadline (for actions made of several bounded steps).

    `@action` also works without parentheses.
    """
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"@action(timeout=...) must be a number of seconds above 0, not "
                             f"{timeout!r}")
        meta["timeout"] = float(timeout)
    if callable(is_system_action) and name is None and not meta and timeout is None:
        return action()(is_system_action)

    def decorate(target: Any) -> Any:
        # A staticmethod/classmethod object hides its function; class attribute lookup returns
        # that inner function, so the metadata must live there.
        inner = getattr(target, "__func__", target)
        inner.action_meta = {
            "name": name or inner.__name__,
            "is_system_action": bool(is_system_action),
            "execute_async": execute_async,
            "output_mapping": output_mapping,
            **meta,
        }
        return target

    return decorate


@dataclass
class ActionResult:
    """What an action may return instead of a plain value: the value, events to append to the
    event stream after it, and updates to the conversation's variables."""

    return_value: Optional[Any] = None
    events: Optional[list[dict]] = None
    context_updates: Optional[dict] = field(default_factory=dict)
