"""Search behind one small interface: user examples, flows, bot messages, knowledge base.
The default index is offline and lexical (no model download); see `factory`."""
from __future__ import annotations

from rails.index.base import EmbeddingSearchProvider, IndexItem
from rails.index.factory import create_search_provider
from rails.index.knowledge_base import KnowledgeBase
from rails.index.lexical import LexicalSearchProvider
from rails.index.markdown_chunks import split_markdown

# NeMo's name for the base class, so ported custom providers keep their import line working.
EmbeddingsIndex = EmbeddingSearchProvider

__all__ = ["EmbeddingSearchProvider", "EmbeddingsIndex", "IndexItem", "KnowledgeBase",
           "LexicalSearchProvider", "create_search_provider", "split_markdown"]
