"""Semantic search: sentence vectors from an encoder (the embedded model, FastEmbed or
sentence-transformers), exact cosine search with numpy over L2-normalised rows.

Items that all carry a group key (the user-example index: `meta["intent"]`) are ranked by
group: an intent scores the cosine of the query with its prototype (the normalised sum of its
examples' vectors and, counted as `name_weight` examples, its name's), fused with the best
lexical score of its examples (`lexical_weight`). On CLINC150 with 10 examples per intent this
takes accuracy from 77% (the nearest example, the reference's rule) to 88% (see
`benchmarks/intent_accuracy.py`). Results list the best example of each intent, best intent
first, so the k-shot examples of a prompt cover several intents. Other indexes (bot messages,
flows, knowledge-base chunks) rank items by their own cosine.

Scores use the reference's angular scale (1 - distance / 2), so NeMo thresholds keep their
meaning."""
from __future__ import annotations

import asyncio
from typing import Any, Optional

from rails.index.base import EmbeddingSearchProvider, IndexItem, scored
from rails.index.openai_embeddings import cosine_to_score

# Chosen on CLINC150's validation split (the benchmark reports the test split): the lexical
# score's share in an intent's score, and how many examples the intent's own name counts as
# in its prototype (Colang names say what they mean: "ask order status").
DEFAULT_LEXICAL_WEIGHT = 0.1
DEFAULT_NAME_WEIGHT = 2.0
# Builds of more items than this encode in a worker thread, so a server's loop keeps going.
THREAD_BUILD_MIN = 32
QUERY_CACHE_SIZE = 4096
# Query vectors by (model, text), shared by every index of the process: one turn searches the
# user-intent, flow and knowledge-base indexes with the same text, and encodes it once.
_query_vectors: dict[tuple[str, str], Any] = {}


class SemanticSearchProvider(EmbeddingSearchProvider):
    def __init__(self, encoder: Any, search_threshold: Optional[float] = None,
                 group_key: Optional[str] = "intent",
                 lexical_weight: float = DEFAULT_LEXICAL_WEIGHT,
                 name_weight: float = DEFAULT_NAME_WEIGHT, cache: bool = True,
                 **_ignored: Any):
        import numpy as np

        if not 0.0 <= float(lexical_weight) <= 1.0:
            from rails.errors import ConfigError

            raise ConfigError(f"lexical_weight must lie in 0..1, not {lexical_weight}",
                              key="embedding_search_provider.parameters.lexical_weight")
        self.encoder = encoder
        self.search_threshold = search_threshold
        self.group_key = group_key
        self.lexical_weight = float(lexical_weight)
        self.name_weight = max(0.0, float(name_weight))
        self.use_cache = cache
        self._np = np
        self._items: list[IndexItem] = []
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self._groups: Optional[list[Any]] = None  # group of each item, when grouped
        self._group_ids: Any = None
        self._prototypes: Any = None
        self._lexical: Any = None
        self._built = False
        self.cache_hits = self.cache_misses = 0

    @property
    def items(self) -> list[IndexItem]:
        return list(self._items)

    def describe(self) -> str:
        how = "exact cosine search"
        if self.group_key:
            how += f"; each {self.group_key} scored by the mean of its examples"
            if self.name_weight:
                how += f" and its name (as {self.name_weight:g} examples)"
            if self.lexical_weight:
                how += f", fused with lexical scores (weight {self.lexical_weight:g})"
        return f"semantic: {self.encoder.description}; {how}"

    async def add_items(self, items: list[IndexItem]) -> None:
        self._items.extend(items)
        self._built = False

    async def build(self) -> None:
        if len(self._items) >= THREAD_BUILD_MIN:
            await asyncio.to_thread(self._build)
        else:
            self._build()

    def _build(self) -> None:
        np = self._np
        texts = [item.text for item in self._items]
        names = self._group_names() if self._grouped() and self.name_weight else []
        vectors = self._encode(texts + [_readable(name) for name in names])
        self._vectors = np.ascontiguousarray(vectors[:len(texts)], dtype=np.float32)
        self._groups = None
        if self._grouped():
            self._build_groups(vectors[len(texts):])
        self._built = True
        from rails.index.semantic.memory import release_freed_memory

        release_freed_memory()

    def _grouped(self) -> bool:
        return bool(self.group_key and self._items
                    and all(self.group_key in item.meta for item in self._items))

    def _encode(self, texts: list[str]) -> Any:
        if not self.use_cache or not getattr(self.encoder, "disk_cache", True):
            self.cache_hits, self.cache_misses = 0, len(texts)
            return self.encoder.encode(texts)
        from rails.index.semantic.vector_cache import VectorCache

        cache = VectorCache(self.encoder.model_id)
        vectors = cache.vectors(texts, self.encoder.encode)
        self.cache_hits, self.cache_misses = cache.hits, cache.misses
        return vectors

    def _group_names(self) -> list[Any]:
        return list(dict.fromkeys(item.meta[self.group_key] for item in self._items))

    def _build_groups(self, name_vectors: Any) -> None:
        """Each intent's prototype: the normalised sum of its examples' vectors and, counted
        as `name_weight` examples, its name's."""
        np = self._np
        self._groups = [item.meta[self.group_key] for item in self._items]
        names = self._group_names()
        position = {name: i for i, name in enumerate(names)}
        self._group_ids = np.array([position[g] for g in self._groups], dtype=np.int64)
        sums = np.zeros((len(names), self._vectors.shape[1]), dtype=np.float32)
        np.add.at(sums, self._group_ids, self._vectors)
        if len(name_vectors):
            sums += self.name_weight * np.asarray(name_vectors, dtype=np.float32)
        self._prototypes = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        # Items ordered by group (as any search's lexsort orders them first) and, for each
        # position of that order, its offset from the start of its group's run: the same for
        # every query, so searches do not recompute it.
        sorted_groups = np.sort(self._group_ids, kind="stable")
        starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
        first = np.repeat(starts, np.diff(np.r_[starts, len(sorted_groups)]))
        self._offsets_in_group = np.arange(len(sorted_groups)) - first
        self._lexical = None
        if self.lexical_weight:
            from rails.index.lexical import LexicalSearchProvider

            self._lexical = LexicalSearchProvider()
            self._lexical.add_items_sync(self._items)
            self._lexical.scores("")  # builds its postings now, not on the first turn

    async def search(self, text: str, max_results: int = 20,
                     threshold: Optional[float] = None) -> list[IndexItem]:
        if not self._built:
            await self.build()
        if not self._items:
            return []
        if threshold is None:
            threshold = self.search_threshold
        query = self._query_vector(text)
        similarities = self._vectors @ query
        if self._groups is not None:
            order, cosines = self._group_ranking(text, query, similarities)
        else:
            order = self._np.argsort(-similarities, kind="stable")
            cosines = similarities
        results = []
        for position in order[:max_results]:
            score = cosine_to_score(float(cosines[position]))
            if threshold is not None and score < threshold:
                break
            results.append(scored(self._items[position], round(score, 6)))
        return results

    def _group_ranking(self, text: str, query: Any, similarities: Any) -> tuple[Any, Any]:
        """Item order and each item's (fused) cosine: the best example of each intent, by
        intent score, then the second best of each, and so on."""
        np = self._np
        group_scores = self._prototypes @ query
        if self._lexical is not None:
            lexical = np.zeros(len(group_scores), dtype=np.float32)
            np.maximum.at(lexical, self._group_ids,
                          np.asarray(self._lexical.scores(text), dtype=np.float32))
            group_scores = (1 - self.lexical_weight) * group_scores + \
                self.lexical_weight * lexical
        item_scores = group_scores[self._group_ids]
        # Rank of each item within its intent (0: its best example), without a Python loop.
        by_group = np.lexsort((-similarities, self._group_ids))
        rank_in_group = np.empty_like(by_group)
        rank_in_group[by_group] = self._offsets_in_group
        order = np.lexsort((-similarities, -item_scores, rank_in_group))
        return order, item_scores

    def _query_vector(self, text: str) -> Any:
        key = (self.encoder.model_id, text)
        vector = _query_vectors.get(key)
        if vector is None:
            vector = self.encoder.encode([text])[0]
            if len(_query_vectors) >= QUERY_CACHE_SIZE:
                _query_vectors.clear()
            _query_vectors[key] = vector
        return vector


def _readable(name: Any) -> str:
    """An intent name as words: `ask_order_status` and `ask order status` read the same."""
    return str(name).replace("_", " ").strip()
