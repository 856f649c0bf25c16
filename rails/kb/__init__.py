"""Compatibility path: `nemoguardrails.kb` -> `rails.kb` (see `rails.index`)."""
