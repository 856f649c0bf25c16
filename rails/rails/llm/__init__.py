"""Compatibility path: `nemoguardrails.rails.llm` -> `rails.rails.llm`."""
from rails.config import RailsConfig
from rails.llmrails import LLMRails

__all__ = ["LLMRails", "RailsConfig"]
