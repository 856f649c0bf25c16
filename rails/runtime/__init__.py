"""The Colang 1.0 interpreter: flow state carried from event to event (spec §3)."""
from rails.runtime.runtime import Runtime
from rails.runtime.state import DialogState
from rails.runtime.turn_log import ActionRecord, TurnLog

__all__ = ["Runtime", "DialogState", "TurnLog", "ActionRecord"]
