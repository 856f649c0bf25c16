"""The result of parsing one `.co` file."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ColangDocument:
    flows: list[dict] = field(default_factory=list)
    user_messages: dict[str, list[str]] = field(default_factory=dict)
    bot_messages: dict[str, list[str]] = field(default_factory=dict)
    imports: list[str] = field(default_factory=list)

    def copy(self) -> "ColangDocument":
        """A deep copy, cheap enough to hand out a fresh document from the parse cache."""
        return ColangDocument(_copy(self.flows), _copy(self.user_messages),
                              _copy(self.bot_messages), list(self.imports))


_CONTAINERS = (dict, list)


def _copy(value: Any) -> Any:
    """Copies nested dicts and lists (other values are immutable or shared on purpose)."""
    if type(value) is dict:
        return {key: item if type(item) not in _CONTAINERS else _copy(item)
                for key, item in value.items()}
    if type(value) is list:
        return [item if type(item) not in _CONTAINERS else _copy(item) for item in value]
    return value


copy_value = _copy
