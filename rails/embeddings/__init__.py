"""Compatibility path: `nemoguardrails.embeddings` -> `rails.embeddings` (see `rails.index`)."""
