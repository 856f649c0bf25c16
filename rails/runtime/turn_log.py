"""What happened during one call of the runtime: events, deciding flows, executed actions.

LLMRails turns it into the `log` of a GenerationResponse and into `explain()`."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager


@dataclass(eq=False)
class ActionRecord:
    action_name: str
    action_params: dict
    started_at: float
    finished_at: float | None = None
    return_value: Any = None
    status: str = "success"
    error: BaseException | None = None
    llm_calls: list = field(default_factory=list)

    @property
    def duration(self) -> float | None:
        return None if self.finished_at is None else self.finished_at - self.started_at


@dataclass
class TurnLog:
    """Entries are ("event", t, event), ("step", t, flow_id, events) or ("action", t, record).

    `on_event` sees every event as it is produced; `action_scope(name)`, when set, returns a
    context manager the action runs in (streaming uses both)."""

    entries: list[tuple] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    on_event: Callable[[dict], None] | None = None
    action_scope: Callable[[str], ContextManager] | None = None
    # ids of events already logged through `splice` that the runtime will emit again.
    adopted: set[int] = field(default_factory=set)

    def event(self, event: dict) -> None:
        if self.adopted and id(event) in self.adopted:
            self.adopted.discard(id(event))
            return
        self.entries.append(("event", time.time(), event))
        if self.on_event is not None:
            self.on_event(event)

    def step(self, flow_id: str, events: list[dict]) -> None:
        self.entries.append(("step", time.time(), flow_id, events))

    def action(self, record: ActionRecord) -> None:
        self.entries.append(("action", record.started_at, record))

    def splice(self, other: "TurnLog") -> None:
        """Adopt the entries of a log kept apart (a parallel rail's) as if they were logged
        here, in their order."""
        for entry in other.entries:
            if entry[0] == "event" and self.on_event is not None:
                self.on_event(entry[2])
            self.entries.append(entry)
        self.errors.extend(other.errors)

    @property
    def actions(self) -> list[ActionRecord]:
        return [entry[2] for entry in self.entries if entry[0] == "action"]
