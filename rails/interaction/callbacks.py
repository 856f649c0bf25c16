"""`@action_callback("name")`: the function a click on a button of that name runs.

A callback is registered like an action, under the name `callback:<button name>` (so the
callbacks of `actions.py` belong to that config, and two configs served by one process do not
mix), and also remembered process-wide for callbacks declared in the application's own code
(Chainlit's style) before `LLMRails` is built."""
from __future__ import annotations

from typing import Any, Callable, Optional

CALLBACK_PREFIX = "callback:"
_declared: dict[str, Callable] = {}


def callback_action_name(button_name: str) -> str:
    return CALLBACK_PREFIX + button_name


def action_callback(name: str, *, roles: Optional[list] = None,
                    organisations: Optional[list] = None) -> Callable[[Callable], Callable]:
    """Marks `fn` as the callback of buttons named `name`. It is called with the clicked
    `Button` as its first argument; it may also name `body`, `__user__`,
    `__event_emitter__`, `__event_call__`, `__id__`, `context` and `events`. `roles` /
    `organisations`: who may click it (rails.policy, caller `button`); a refused click runs
    nothing and leaves the button live."""
    if not isinstance(name, str) or not name:
        raise ValueError("action_callback needs the button name it answers, e.g. "
                         "@action_callback(\"confirm_delete\")")
    policy = {key: value for key, value in (("roles", roles),
                                            ("organisations", organisations))
              if value is not None}
    if policy:
        from rails.policy.rules import check_policy_keys

        check_policy_keys(callback_action_name(name), policy)

    def register(fn: Callable) -> Callable:
        fn.action_meta = {"name": callback_action_name(name), "is_system_action": True,
                          "execute_async": False, "output_mapping": None,
                          "callback_for": name, **policy}
        _declared[name] = fn
        return fn

    return register


def declared_callback(name: str) -> Optional[Callable]:
    return _declared.get(name)


def find_callback(dispatcher: Any, name: str) -> Optional[Any]:
    """The config's callback for buttons named `name`, else one declared in code."""
    target = dispatcher.get(callback_action_name(name))
    return target if target is not None else declared_callback(name)
