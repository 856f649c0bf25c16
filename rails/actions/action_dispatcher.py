"""`rails.actions.action_dispatcher`: the module path NeMo Guardrails code imports
`ActionDispatcher` from."""
from rails.actions.dispatcher import ActionDispatcher

__all__ = ["ActionDispatcher"]
