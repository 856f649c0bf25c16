"""Compatibility path: `nemoguardrails.actions.actions` -> `rails.actions.actions`."""
from rails.actions.decorator import ActionResult, action  # noqa: F401

__all__ = ["ActionResult", "action"]
