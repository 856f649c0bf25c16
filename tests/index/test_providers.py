"""Choosing a provider, custom providers, and the OpenAI-compatible embeddings provider (against
httpx.MockTransport: nothing leaves the process)."""
from __future__ import annotations

import json
import logging

import httpx
import pytest

from rails.config import EmbeddingSearchProvider as ProviderSettings
from rails.config import Model
from rails.errors import ConfigError, LLMCallError
from rails.index import (EmbeddingSearchProvider, IndexItem, LexicalSearchProvider,
                         create_search_provider)
from rails.index.openai_embeddings import OpenAIEmbeddingSearchProvider, cosine_to_score

# Tiny fake embedding space: each vocabulary word is one axis.
AXES = ["order", "parcel", "refund", "money", "hello", "hi"]


def fake_vector(text: str) -> list[float]:
    words = text.lower().replace("?", "").split()
    vector = [1.0 if axis in words else 0.0 for axis in AXES]
    if "parcel" in words:  # the fake model knows a parcel is much like an order
        vector[AXES.index("order")] = 0.9
    return vector if any(vector) else [0.01] * len(AXES)


def fake_endpoint(requests: list):
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append((str(request.url), request.headers.get("authorization"), body))
        data = [{"index": i, "embedding": fake_vector(text)}
                for i, text in reversed(list(enumerate(body["input"])))]
        return httpx.Response(200, json={"data": data, "model": body["model"]})

    return httpx.MockTransport(handle)


def test_lexical_engine_setting_gives_the_lexical_index(monkeypatch):
    # The suite runs with DIALOG_RAILS_EMBEDDING_ENGINE=lexical (tests/conftest.py); configs
    # that name no engine then get the lexical index, as they would without the semantic extra.
    monkeypatch.setenv("DIALOG_RAILS_EMBEDDING_ENGINE", "lexical")
    assert isinstance(create_search_provider(ProviderSettings(), {}), LexicalSearchProvider)
    assert isinstance(create_search_provider({"name": "default"}), LexicalSearchProvider)
    settings = {"parameters": {"embedding_engine": "lexical", "search_threshold": 0.4}}
    monkeypatch.delenv("DIALOG_RAILS_EMBEDDING_ENGINE")
    provider = create_search_provider(settings)
    assert isinstance(provider, LexicalSearchProvider) and provider.search_threshold == 0.4


def test_nemo_engine_without_its_model_is_served_by_the_embedded_one(caplog, tmp_path):
    from rails.index.semantic.provider import SemanticSearchProvider

    settings = ProviderSettings(parameters={"embedding_engine": "FastEmbed",
                                            "embedding_model": "all-MiniLM-L6-v2",
                                            "specific_model_path": str(tmp_path / "none"),
                                            "search_threshold": 0.4})
    with caplog.at_level(logging.INFO, logger="rails.index"):
        provider = create_search_provider(settings, {})
    assert isinstance(provider, SemanticSearchProvider) and provider.search_threshold == 0.4
    assert "FastEmbed" in caplog.text and "serves instead" in caplog.text


def test_registered_provider_is_built_with_the_parameters():
    class Recorder(EmbeddingSearchProvider):
        def __init__(self, dimension: int, label: str = ""):
            self.dimension, self.label = dimension, label

    provider = create_search_provider(
        ProviderSettings(name="mine", parameters={"dimension": 3, "label": "x"}),
        {"mine": Recorder})
    assert isinstance(provider, Recorder) and (provider.dimension, provider.label) == (3, "x")
    with pytest.raises(ConfigError, match="rejected its parameters"):
        create_search_provider(ProviderSettings(name="mine", parameters={"bad": 1}),
                               {"mine": Recorder})


def test_unknown_provider_name_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown search provider 'nope'; known: default, mine"):
        create_search_provider({"name": "nope"}, {"mine": object})


def test_openai_engine_selects_the_embeddings_provider():
    provider = create_search_provider(ProviderSettings(parameters={
        "embedding_engine": "openai", "embedding_model": "e-small",
        "base_url": "http://127.0.0.1:9/v1"}))
    assert isinstance(provider, OpenAIEmbeddingSearchProvider)
    assert provider.embedding_model == "e-small" and provider.base_url == "http://127.0.0.1:9/v1"


def test_embeddings_model_of_the_config_is_used_when_settings_say_nothing():
    model = Model(type="embeddings", engine="openai", model="m-embed",
                  parameters={"base_url": "http://127.0.0.1:9/v1/"})
    provider = create_search_provider(ProviderSettings(), {}, embeddings_model=model)
    assert isinstance(provider, OpenAIEmbeddingSearchProvider)
    assert provider.embedding_model == "m-embed" and provider.base_url == "http://127.0.0.1:9/v1"


async def test_openai_provider_ranks_by_cosine(monkeypatch):
    monkeypatch.setenv("TEST_EMBED_KEY", "sk-test")
    requests: list = []
    provider = OpenAIEmbeddingSearchProvider(
        embedding_model="fake", base_url="http://127.0.0.1:9/v1", api_key_env_var="TEST_EMBED_KEY",
        batch_size=2, transport=fake_endpoint(requests))
    await provider.add_items([IndexItem("where is my order", {"intent": "status"}),
                              IndexItem("i want my money back refund", {"intent": "refund"}),
                              IndexItem("hello hi", {"intent": "greet"})])
    await provider.build()
    assert len(requests) == 2  # three texts in batches of two
    url, auth, body = requests[0]
    assert url == "http://127.0.0.1:9/v1/embeddings" and auth == "Bearer sk-test"
    assert body == {"model": "fake", "input": ["where is my order", "i want my money back refund"]}

    results = await provider.search("where is my parcel?", max_results=3)
    assert [r.meta["intent"] for r in results][0] == "status"
    assert results[0].meta["score"] > results[1].meta["score"]
    assert all(0.0 <= r.meta["score"] <= 1.0 for r in results)
    await provider.search("where is my parcel?", max_results=3)
    assert len(requests) == 3  # the repeated query was cached


async def test_openai_provider_error_names_endpoint_and_status():
    transport = httpx.MockTransport(lambda request: httpx.Response(401, text="bad key"))
    provider = OpenAIEmbeddingSearchProvider(base_url="http://127.0.0.1:9/v1",
                                             transport=transport)
    await provider.add_items([IndexItem("x")])
    with pytest.raises(LLMCallError) as caught:
        await provider.build()
    assert caught.value.status == 401 and caught.value.body_excerpt == "bad key"
    assert caught.value.endpoint == "http://127.0.0.1:9/v1/embeddings"


async def test_openai_provider_connection_failure_keeps_the_cause():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    provider = OpenAIEmbeddingSearchProvider(base_url="http://127.0.0.1:9/v1",
                                             transport=httpx.MockTransport(refuse))
    with pytest.raises(LLMCallError, match="ConnectError") as caught:
        await provider.embed(["x"])
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_openai_provider_rejects_a_malformed_answer():
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"nope": 1}))
    provider = OpenAIEmbeddingSearchProvider(base_url="http://127.0.0.1:9/v1",
                                             transport=transport)
    with pytest.raises(LLMCallError, match="expected format"):
        await provider.embed(["x"])


def test_cosine_to_score_scale():
    assert cosine_to_score(1.0) == 1.0 and cosine_to_score(-1.0) == 0.0
    assert 0.29 < cosine_to_score(0.0) < 0.3
