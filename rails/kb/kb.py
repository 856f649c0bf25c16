"""Compatibility path: `nemoguardrails.kb.kb` -> `rails.kb.kb`."""
from rails.index import KnowledgeBase  # noqa: F401

__all__ = ["KnowledgeBase"]
