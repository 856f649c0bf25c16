"""Compatibility path: `nemoguardrails.embeddings.index` -> `rails.embeddings.index`."""
from rails.index import EmbeddingSearchProvider, IndexItem  # noqa: F401

EmbeddingsIndex = EmbeddingSearchProvider
__all__ = ["EmbeddingsIndex", "IndexItem"]
