"""Positional flow arguments. `execute greet($name)` stores the value under the key `"$1"`.
The reference passes such keys as they are, so only a `**kwargs` action could read them; we
bind them, in order, to the named parameters that are still free when the callable has no
`**kwargs` (and keep the reference behaviour when it has)."""
from __future__ import annotations

from rails.actions.callables import CallSpec
from rails.errors import ActionError


def positional_keys(kwargs: dict) -> list[str]:
    """`$1`, `$2`... in argument order."""
    keys = [key for key in kwargs if key[:1] == "$" and key[1:].isdigit()]
    return sorted(keys, key=lambda key: int(key[1:]))


def bind_positional(action_name: str, kwargs: dict, spec: CallSpec) -> None:
    if spec.var_keyword:
        return
    keys = positional_keys(kwargs)
    free = [name for name in spec.positional if name not in kwargs]
    if len(keys) > len(free):
        raise ActionError(
            f"action '{action_name}' got {len(keys)} positional argument(s) but only "
            f"{len(free)} parameter(s) are free to take them: "
            f"{', '.join(free) if free else 'none'}", action_name=action_name)
    for key, parameter in zip(keys, free):
        kwargs[parameter] = kwargs.pop(key)
