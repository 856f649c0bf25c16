"""The search interface every index implements (NeMo's `EmbeddingsIndex` shape)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class IndexItem:
    """A text to find and whatever the caller wants back with it. Search results are new
    items whose `meta` also holds `score`, the similarity to the query in 0..1."""

    text: str
    meta: dict[str, Any] = field(default_factory=dict)


class EmbeddingSearchProvider:
    """Base class of search indexes. Add items, `await build()`, then `await search(text,
    max_results)` returns the closest items, best first. Custom providers subclass it (or
    just implement the same async methods) and are registered by name with
    `LLMRails.register_embedding_search_provider(name, cls)`; they are built with the
    `parameters` of their `embedding_search_provider` settings as keyword arguments."""

    # Why this index serves instead of the configured one, when it does (set by the factory).
    note = ""

    def describe(self) -> str:
        """One line naming the index and its model, for `check` and `chat --verbose`."""
        return f"custom: {type(self).__name__}"

    async def add_item(self, item: IndexItem) -> None:
        await self.add_items([item])

    async def add_items(self, items: list[IndexItem]) -> None:
        raise NotImplementedError

    async def build(self) -> None:
        """Called once after the items are added; indexes that need no build step skip it."""

    async def search(self, text: str, max_results: int = 20,
                     threshold: Optional[float] = None) -> list[IndexItem]:
        raise NotImplementedError


def scored(item: IndexItem, score: float) -> IndexItem:
    """A result item: the stored item's text and meta plus the score (the stored item is not
    changed, so results of different searches never share state)."""
    return IndexItem(text=item.text, meta={**item.meta, "score": score})
