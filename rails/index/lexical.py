"""The default search index: offline, pure Python, built in milliseconds, no model download.

Each text becomes three TF-IDF vectors (words, word pairs, character trigrams; see
`text_features`). The score of an item is the weighted mean of the cosine similarities of the
groups the query has, so it lies in 0..1 and an identical text scores 1. Search walks inverted
lists, so its cost grows with the query's features, not with the size of the index."""
from __future__ import annotations

import heapq
import math
from collections import Counter
from typing import Any, Optional

from rails.index.base import EmbeddingSearchProvider, IndexItem, scored
from rails.index.text_features import GROUP_WEIGHTS, damped, features


class LexicalSearchProvider(EmbeddingSearchProvider):
    """The offline default. `search_threshold` (0..1) drops results scoring below it; other
    keyword arguments (NeMo's `embedding_model`, `use_batching`, ...) are accepted and
    ignored, so NeMo settings work unchanged."""

    def __init__(self, search_threshold: Optional[float] = None, **_ignored: Any):
        self.search_threshold = search_threshold
        self._items: list[IndexItem] = []
        self._item_features: list[dict[str, Counter]] = []
        self._postings: dict[str, dict[str, list[tuple[int, float]]]] = {}
        self._idf: dict[str, dict[str, float]] = {}
        self._unseen_idf = 1.0
        self._built = False

    @property
    def items(self) -> list[IndexItem]:
        return list(self._items)

    def describe(self) -> str:
        from rails.index.semantic.engines import LEXICAL_NOTE

        return LEXICAL_NOTE

    async def add_items(self, items: list[IndexItem]) -> None:
        self.add_items_sync(items)

    def add_items_sync(self, items: list[IndexItem]) -> None:
        """`add_items` without the event loop (for indexes built in a worker thread)."""
        for item in items:
            self._items.append(item)
            self._item_features.append(features(item.text))
        self._built = False

    async def build(self) -> None:
        self._build()

    def _build(self) -> None:
        count = len(self._items)
        self._unseen_idf = math.log(count + 1) + 1.0
        self._idf, self._postings = {}, {}
        for group in GROUP_WEIGHTS:
            frequency: Counter = Counter()
            for item_features in self._item_features:
                frequency.update(item_features[group].keys())
            idf = {term: math.log((count + 1) / (df + 1)) + 1.0 for term, df in frequency.items()}
            postings: dict[str, list[tuple[int, float]]] = {}
            for position, item_features in enumerate(self._item_features):
                vector = self._vector(item_features[group], idf)
                for term, weight in vector.items():
                    postings.setdefault(term, []).append((position, weight))
            self._idf[group], self._postings[group] = idf, postings
        self._built = True

    def _vector(self, counts: Counter, idf: dict[str, float]) -> dict[str, float]:
        vector = {term: damped(c) * idf.get(term, self._unseen_idf) for term, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in vector.values()))
        return {term: w / norm for term, w in vector.items()} if norm else {}

    def scores(self, text: str) -> list[float]:
        """Similarity of `text` to every item, by position (0.0: nothing in common)."""
        if not self._built:
            self._build()
        query = features(text)
        groups = [g for g in GROUP_WEIGHTS if query[g]]
        total_weight = sum(GROUP_WEIGHTS[g] for g in groups)
        totals = [0.0] * len(self._items)  # a list beats a dict in this, the hot loop
        for group in groups:
            share = GROUP_WEIGHTS[group] / total_weight
            postings = self._postings[group]
            for term, weight in self._vector(query[group], self._idf[group]).items():
                factor = share * weight
                for position, item_weight in postings.get(term, ()):
                    totals[position] += factor * item_weight
        return totals

    async def search(self, text: str, max_results: int = 20,
                     threshold: Optional[float] = None) -> list[IndexItem]:
        return self.search_sync(text, max_results, threshold)

    def search_sync(self, text: str, max_results: int = 20,
                    threshold: Optional[float] = None) -> list[IndexItem]:
        """`search` without the event loop (the work is CPU-only and fast). Like a
        nearest-neighbour search it always answers with up to `max_results` items (those
        sharing nothing with the query score 0), unless a threshold cuts them off."""
        if threshold is None:
            threshold = self.search_threshold
        totals = self.scores(text)
        # Ties keep the earlier item first: nlargest is stable over positions in order.
        best = heapq.nlargest(max_results, range(len(totals)), key=totals.__getitem__)
        results = []
        for position in best:
            score = min(1.0, round(totals[position], 6))
            if threshold is not None and score < threshold:
                break
            results.append(scored(self._items[position], score))
        return results
