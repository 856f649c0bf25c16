"""Compatibility path: `nemoguardrails.actions.llm.utils` -> `rails.actions.llm.utils`."""
from rails.llm.call import llm_call  # noqa: F401
from rails.llm.history import get_colang_history  # noqa: F401

__all__ = ["get_colang_history", "llm_call"]
