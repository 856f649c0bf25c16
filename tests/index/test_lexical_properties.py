"""Invariants of the lexical index for arbitrary texts."""
from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from rails.index import IndexItem, LexicalSearchProvider

texts = st.text(alphabet=st.sampled_from("abcdeiou rstn'?!É1"), max_size=30)


@settings(max_examples=120, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8), texts)
def test_scores_bounded_sorted_and_exact_match_first(items, query):
    async def run():
        provider = LexicalSearchProvider()
        await provider.add_items([IndexItem(text, {"n": i}) for i, text in enumerate(items)])
        await provider.build()
        results = await provider.search(query, max_results=len(items))
        scores = [r.meta["score"] for r in results]
        assert len(results) == len(items)
        assert all(0.0 <= s <= 1.0 for s in scores) and scores == sorted(scores, reverse=True)
        for text in items:
            [best] = await provider.search(text, max_results=1)
            if any(ch.isalnum() for ch in text):
                assert best.meta["score"] == 1.0  # an identical text is a perfect match

    asyncio.run(run())
