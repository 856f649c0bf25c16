"""What the interpreter keeps per flow (spec §2.4), compiled once when a runtime is built."""
from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from rails.runtime.matching import event_keys, start_keys

DEFAULT_TRIGGER_TYPES = ("UserIntent", "BotIntent", "run_action", "InternalSystemActionFinished")

# Elements that sliding moves over (executing them) instead of stopping at.
SLIDING_TYPES = frozenset({"check", "if", "jump", "while", "continue", "break", "stop", "set"})

EXPRESSION_TYPES = frozenset({"check", "if", "while", "set"})


@dataclass(eq=False)  # identity semantics: configs are hashed into sets
class FlowConfig:
    id: str
    elements: list[dict]
    order: int
    priority: float = 1.0
    is_extension: bool = False
    is_interruptible: bool = True
    is_subflow: bool = False
    allow_multiple: bool = False
    trigger_event_types: frozenset = frozenset(DEFAULT_TRIGGER_TYPES)
    source_code: str | None = None
    file: str | None = None
    # Compiled expressions by element index (only for elements that carry one).
    expressions: dict[int, Any] = field(default_factory=dict)

    @property
    def starts_with_pattern(self) -> bool:
        """True when sliding from element 0 stays at 0, so starting has no side effects."""
        return bool(self.elements) and self.elements[0]["_type"] not in SLIDING_TYPES


def build_flow_config(flow: dict, order: int) -> FlowConfig:
    """A FlowConfig from a flow dict of `rails.lang` (meta already split off) or of NeMo's shape
    (meta as element 0)."""
    from rails.lang import compile_expression

    elements = list(flow.get("elements") or [])
    meta = dict(flow.get("meta") or {})
    if elements and elements[0].get("_type") == "meta":
        meta.update(elements[0].get("meta") or {})
        elements = elements[1:]
    triggers = set(DEFAULT_TRIGGER_TYPES)
    expressions: dict[int, Any] = {}
    for index, element in enumerate(elements):
        kind = element["_type"]
        if kind == "run_action" and element.get("action_name") == "create_event":
            triggers.add(element["action_params"]["event"]["_type"])
        if kind in EXPRESSION_TYPES:
            expressions[index] = compile_expression(str(element["expression"]))
    return FlowConfig(
        id=flow["id"],
        elements=elements,
        order=order,
        priority=float(meta.get("priority", flow.get("priority", 1.0))),
        is_extension=bool(meta.get("is_extension", flow.get("is_extension", False))),
        is_interruptible=bool(meta.get("interruptable", flow.get("is_interruptible", True))),
        is_subflow=bool(meta.get("subflow") or flow.get("is_subflow")),
        allow_multiple=bool(meta.get("allow_multiple") or flow.get("allow_multiple")),
        trigger_event_types=frozenset(triggers),
        source_code=flow.get("source_code"),
        file=flow.get("file"),
        expressions=expressions,
    )


class FlowIndex:
    """All flows of a runtime, with the lookup that finds which flows an event may start.

    The reference tries every flow on every event. Flows whose first element is a pattern can
    only start on events that match it, so they are indexed by what they match; flows that begin
    by sliding (`set`, `if`, ...) must be tried on every event, as their sliding has side effects.
    """

    def __init__(self) -> None:
        self.by_id: dict[str, FlowConfig] = {}
        self._by_key: dict[tuple, list[FlowConfig]] = {}
        self._always: list[FlowConfig] = []
        self._merged: dict[tuple, list[FlowConfig]] = {}  # event keys -> candidates

    def add(self, config: FlowConfig) -> bool:
        """Registers a flow; the first flow with a given id wins (user flows shadow built-ins)."""
        if config.id in self.by_id:
            return False
        self.by_id[config.id] = config
        self._merged.clear()
        if config.is_subflow or not config.elements:
            return True
        if not config.starts_with_pattern:
            self._always.append(config)
        else:
            for key in start_keys(config.elements[0]):
                self._by_key.setdefault(key, []).append(config)
        return True

    def candidates(self, event: dict) -> list[FlowConfig]:
        """Flows that may start on `event`, in load order."""
        keys = event_keys(event)
        found = self._merged.get(keys)
        if found is None:
            found = [config for key in keys for config in self._by_key.get(key, ())]
            found = sorted(set(found + self._always), key=attrgetter("order"))
            if len(self._merged) < 10_000:  # event values are user data: bound the memo
                self._merged[keys] = found
        return found

