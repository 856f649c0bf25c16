"""The knowledge base: `kb/*.md` documents, split into chunks and searched for relevant ones."""
from __future__ import annotations

import logging
import time
from typing import Any, Iterable, Optional

from rails.index.base import EmbeddingSearchProvider, IndexItem
from rails.index.lexical import LexicalSearchProvider
from rails.index.markdown_chunks import split_markdown

log = logging.getLogger(__name__)


def _document_text(document: Any) -> str:
    if isinstance(document, str):
        return document
    if isinstance(document, dict):
        return document.get("content") or ""
    return getattr(document, "content", "") or ""


class KnowledgeBase:
    """Chunks of Markdown documents behind a search index.

    `documents` are `Document` sections of a config (or dicts with `content`, or plain
    strings); chunks are made at once (`chunks`). `await build()` indexes them;
    `await search_relevant_chunks(text)` returns the best chunks as `{"title", "body", ...}`
    dicts (plus any document meta), best first."""

    def __init__(self, documents: Iterable[Any],
                 provider: Optional[EmbeddingSearchProvider] = None,
                 max_chunk_size: int = 400):
        self.documents = list(documents or [])
        self.index = provider if provider is not None else LexicalSearchProvider()
        self.chunks: list[dict[str, Any]] = []
        for document in self.documents:
            self.chunks.extend(split_markdown(_document_text(document), max_chunk_size))
        self._built = False

    def init(self) -> None:
        """Kept for NeMo compatibility: chunks are made in the constructor."""

    async def build(self) -> None:
        if self._built:
            return
        started = time.perf_counter()
        items = [IndexItem(text=f"# {chunk['title']}\n\n{chunk['body']}", meta=chunk)
                 for chunk in self.chunks]
        if items:
            await self.index.add_items(items)
            await self.index.build()
        self._built = True
        log.info("knowledge base: %d chunks indexed in %.1f ms", len(items),
                 (time.perf_counter() - started) * 1000)

    async def search_relevant_chunks(self, text: str,
                                     max_results: int = 3) -> list[dict[str, Any]]:
        if not self.chunks:
            return []
        if not self._built:
            await self.build()
        results = await self.index.search(text, max_results=max_results)
        return [{k: v for k, v in result.meta.items() if k != "score"} for result in results]
