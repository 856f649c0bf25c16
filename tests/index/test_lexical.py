"""The default offline index ranks paraphrases, typos and inflections sensibly."""
from __future__ import annotations


import pytest

from rails.index import IndexItem, LexicalSearchProvider, create_search_provider


@pytest.fixture
async def index(intent_items):
    provider = create_search_provider(None, {})
    assert isinstance(provider, LexicalSearchProvider)
    await provider.add_items(intent_items)
    await provider.build()
    return provider


@pytest.mark.parametrize("query, intent", [
    ("where is my parcel?", "ask order status"),
    ("wher is my oder", "ask order status"),            # typos
    ("has my order been shipped", "ask order status"),  # inflection
    ("I'd like a refund", "request refund"),
    ("my parcel came damaged", "report damaged item"),
    ("Hello!", "express greeting"),
    ("thank you", "express thanks"),
    ("do you accept visa credit cards", "ask payment methods"),
    ("can i returned these shoes", "ask return policy"),
    ("i wanna talk to a real person", "talk to human"),
    ("forgot my password", "reset password"),
    ("how much does delivery cost", "ask shipping cost"),
    ("please cancel it", "cancel order"),
    ("what are you capable of", "ask capabilities"),
    ("change my shipping address", "change address"),
    ("bye bye", "say goodbye"),
    ("are you open sundays", "ask opening hours"),
    ("does the warranty cover laptops", "ask about warranty"),
])
async def test_top_result_is_the_right_intent(index, query, intent):
    [best] = await index.search(query, max_results=1)
    assert best.meta["intent"] == intent


async def test_parcel_is_closer_to_order_than_to_unrelated_examples(index):
    results = await index.search("where is my parcel?", max_results=60)
    scores = {r.text: r.meta["score"] for r in results}
    assert scores["where is my order"] > 0.3
    for unrelated in ("I forgot my password", "can I pay with paypal", "thanks a lot",
                      "what time do you open", "is this covered by warranty"):
        assert scores["where is my order"] > scores[unrelated] + 0.2


async def test_scores_are_in_0_1_best_first_and_identical_text_scores_1(index, intent_items):
    results = await index.search("where is my order", max_results=10)
    scores = [r.meta["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert results[0].text == "where is my order" and scores[0] == 1.0
    assert len(results) == 10


async def test_unrelated_text_scores_low(index):
    [best] = await index.search("quantum chromodynamics lattice", max_results=1)
    assert best.meta["score"] < 0.2


async def test_results_carry_meta_and_do_not_change_stored_items(index, intent_items):
    [best] = await index.search("reset my password", max_results=1)
    assert best.meta["intent"] == "reset password" and "score" in best.meta
    assert all("score" not in item.meta for item in intent_items)


async def test_threshold_filters_results(intent_items):
    provider = LexicalSearchProvider(search_threshold=0.5)
    await provider.add_items(intent_items)
    await provider.build()
    results = await provider.search("reset my password", max_results=10)
    assert results and all(r.meta["score"] >= 0.5 for r in results)
    assert await provider.search("quantum chromodynamics", max_results=10) == []
    loose = await provider.search("reset my password", max_results=10, threshold=0.0)
    assert len(loose) > len(results)


async def test_items_added_after_build_are_found():
    provider = LexicalSearchProvider()
    await provider.add_item(IndexItem(text="hello there", meta={"n": 1}))
    await provider.build()
    await provider.add_items([IndexItem(text="track my package", meta={"n": 2})])
    [best] = await provider.search("track package", max_results=1)
    assert best.meta["n"] == 2


async def test_empty_index_and_empty_query():
    provider = LexicalSearchProvider()
    await provider.build()
    assert await provider.search("anything", max_results=3) == []
    await provider.add_items([IndexItem(text="hello")])
    results = await provider.search("", max_results=3)
    assert [r.meta["score"] for r in results] == [0.0]


async def test_a_thousand_items_rank_the_exact_topic_first():
    items = [IndexItem(text=f"example number {i} about topic {i % 37} and item {i * 7}")
             for i in range(1000)]
    provider = LexicalSearchProvider()
    await provider.add_items(items)
    await provider.build()
    hits = await provider.search("example number 5 about topic 5", max_results=5)
    assert hits[0].text.startswith("example number 5 about topic 5 ")


def test_contractions_are_split():
    from rails.index.text_features import normalize

    assert normalize("I'd like it, don't you? We\u2019re sure it can't") == [
        "i", "d", "like", "it", "do", "not", "you", "we", "re", "sure", "it", "can", "not"]
    assert normalize("Café ÜBER") == ["cafe", "uber"]


async def test_ways_of_asking_do_not_decide_the_match():
    provider = LexicalSearchProvider()
    await provider.add_items([IndexItem("I want to return my boots", {"intent": "return"}),
                              IndexItem("I want to talk to someone", {"intent": "human"}),
                              IndexItem("I would like to know the price", {"intent": "price"})])
    [best] = await provider.search("I'd like to return my jacket", max_results=1)
    assert best.meta["intent"] == "return" and best.meta["score"] > 0.35
