"""Knowledge-base chunking at Markdown headings and chunk search."""
from __future__ import annotations

from rails.config import Document
from rails.index import KnowledgeBase, split_markdown

SHOP_DOC = """# Shipping

We ship to every country in the European Union.

## Costs

Standard shipping is free for orders over 50 EUR. Express shipping costs 9 EUR.

## Delivery times

Standard delivery takes three to five working days.

# Returns

## Damaged items

If an item arrives damaged, send us a photo within 7 days and we replace it for free.

## Refunds

Refunds are paid back to the original payment method within 14 days.
"""


def test_chunks_follow_headings_with_the_heading_path_as_title():
    chunks = split_markdown(SHOP_DOC)
    assert [c["title"] for c in chunks] == [
        "Shipping", "Shipping - Costs", "Shipping - Delivery times",
        "Returns - Damaged items", "Returns - Refunds"]
    assert chunks[1]["body"].startswith("Standard shipping is free")


def test_long_sections_are_cut_near_400_characters():
    paragraph = "Every sentence here is about the warranty of the product. " * 4
    doc = "# Warranty\n\n" + "\n\n".join([paragraph] * 6)
    chunks = split_markdown(doc)
    assert len(chunks) > 1 and all(c["title"] == "Warranty" for c in chunks)
    assert all(len(c["body"]) <= 400 for c in chunks)
    assert sum(c["body"].count("warranty") for c in chunks) == 24  # nothing lost


def test_single_long_paragraph_is_cut_at_sentence_ends():
    doc = "# Policy\n\n" + " ".join(f"Rule number {i} says something long enough." for i in
                                    range(30))
    chunks = split_markdown(doc, max_chunk_size=200)
    assert len(chunks) > 1 and all(len(c["body"]) <= 200 for c in chunks)
    assert all(c["body"].endswith(".") for c in chunks)


def test_document_meta_block_is_copied_into_chunks():
    doc = "```yaml\nsource: handbook\nversion: 2\n```\n# Intro\n\nHello.\n"
    [chunk] = split_markdown(doc)
    assert chunk == {"title": "Intro", "body": "Hello.", "source": "handbook", "version": 2}


def test_hash_lines_inside_code_fences_are_not_headings():
    doc = "# Setup\n\n```bash\n# install\npip install x\n```\n"
    [chunk] = split_markdown(doc)
    assert chunk["title"] == "Setup" and "# install" in chunk["body"]


async def test_search_relevant_chunks():
    kb = KnowledgeBase([Document(format="md", content=SHOP_DOC)])
    await kb.build()
    [best] = await kb.search_relevant_chunks("my item arrived damaged", max_results=1)
    assert best["title"] == "Returns - Damaged items" and "photo" in best["body"]
    results = await kb.search_relevant_chunks("how long does a refund take")
    assert len(results) == 3 and results[0]["title"] == "Returns - Refunds"
    assert all(set(r) == {"title", "body"} for r in results)


async def test_empty_knowledge_base():
    kb = KnowledgeBase([])
    await kb.build()
    assert await kb.search_relevant_chunks("anything") == []
