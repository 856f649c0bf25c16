"""`rails.actions.actions`: the module path NeMo Guardrails code imports `action` and
`ActionResult` from (`from nemoguardrails.actions.actions import ActionResult`)."""
from rails.actions.decorator import ActionResult, action

__all__ = ["ActionResult", "action"]
