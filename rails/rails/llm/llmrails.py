"""Compatibility path: `nemoguardrails.rails.llm.llmrails` -> `rails.rails.llm.llmrails`."""
from rails.llmrails import LLMRails  # noqa: F401
