"""Compatibility path: `nemoguardrails.actions.llm` -> `rails.actions.llm`."""
