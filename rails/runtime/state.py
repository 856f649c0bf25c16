"""The state the interpreter carries from one event to the next (spec §3.4)."""
from __future__ import annotations

from typing import Any

ACTIVE, INTERRUPTED, ABORTED, COMPLETED = "active", "interrupted", "aborted", "completed"


class FlowState:
    """One running instance of a flow."""

    __slots__ = ("uid", "flow_id", "head", "status", "interrupted_by")

    def __init__(self, uid: str, flow_id: str, head: int, status: str = ACTIVE,
                 interrupted_by: str | None = None):
        self.uid, self.flow_id, self.head = uid, flow_id, head
        self.status, self.interrupted_by = status, interrupted_by

    def copy(self) -> "FlowState":
        return FlowState(self.uid, self.flow_id, self.head, self.status, self.interrupted_by)

    def to_json(self) -> list:
        return [self.uid, self.flow_id, self.head, self.status, self.interrupted_by]

    @classmethod
    def from_json(cls, data: list) -> "FlowState":
        return cls(*data)

    def __repr__(self) -> str:
        return f"<{self.flow_id!r} {self.status} at {self.head}>"


class DialogState:
    """Flow instances, variables and the pending next step of one conversation.

    `context` is what flows see (it is rolled back when a turn is hidden); `action_context` is
    what actions see (the reference never rolls it back). `processed` counts the history events
    already folded in, so a later call only folds the new ones.
    """

    def __init__(self) -> None:
        self.context: dict[str, Any] = {}
        self.action_context: dict[str, Any] = {"last_user_message": None, "last_bot_message": None}
        self.flows: list[FlowState] = []
        self.flow_ids: set[str] = set()
        self.context_updates: dict[str, Any] = {}
        self.processed = 0
        self.turn_start: DialogState | None = None
        self.clear_next_step()

    def clear_next_step(self) -> None:
        self.next_step: dict | None = None
        self.next_step_by: str | None = None
        self.next_step_priority = 0.0
        self.next_step_comment: str | None = None

    def add_flow(self, flow: FlowState) -> None:
        self.flows.append(flow)
        self.flow_ids.add(flow.flow_id)

    def find(self, uid: str | None) -> FlowState | None:
        for flow in self.flows:
            if flow.uid == uid:
                return flow
        return None

    def snapshot(self) -> "DialogState":
        """A copy that later folding cannot change (values inside the context are shared)."""
        copy = DialogState.__new__(DialogState)
        copy.context = dict(self.context)
        copy.action_context = dict(self.action_context)
        copy.flows = [flow.copy() for flow in self.flows]
        copy.flow_ids = set(self.flow_ids)
        copy.context_updates = dict(self.context_updates)
        copy.processed = self.processed
        copy.turn_start = None  # keep one snapshot, never a chain of them
        copy.next_step, copy.next_step_by = self.next_step, self.next_step_by
        copy.next_step_priority = self.next_step_priority
        copy.next_step_comment = self.next_step_comment
        return copy

    def become(self, other: "DialogState") -> None:
        """Take over everything `other` holds (callers keep their reference to this object)."""
        self.__dict__.update(other.__dict__)

    def restore(self, other: "DialogState") -> None:
        """Become `other` again, except for the action context and the fold counter."""
        processed, action_context = self.processed, self.action_context
        self.become(other.snapshot())
        self.processed, self.action_context = processed, action_context
        self.turn_start = None
