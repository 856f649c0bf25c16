"""For benchmark scripts that run the reference engine: its default index downloads a model
when an LLMRails is built, which cannot happen here. This swaps in a trivial offline index
(which favours the reference: our default index does real work)."""
from __future__ import annotations


def use_offline_index(results: str = "first") -> None:
    """`results`: "first" answers every search with the first items, "none" with nothing."""
    from nemoguardrails.embeddings.index import EmbeddingsIndex
    from nemoguardrails.rails.llm.llmrails import LLMRails

    class OfflineIndex(EmbeddingsIndex):
        def __init__(self, *args, **kwargs):
            self.items = []

        @property
        def embedding_size(self):
            return 1

        async def add_item(self, item):
            self.items.append(item)

        async def add_items(self, items):
            self.items.extend(items)

        async def build(self):
            pass

        async def search(self, text, max_results=5, threshold=None):
            return self.items[:max_results] if results == "first" else []

    LLMRails._get_embeddings_search_provider_instance = (
        lambda self, esp_config=None: OfflineIndex())
