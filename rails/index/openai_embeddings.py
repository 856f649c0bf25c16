"""Search over vectors from an OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama,
LM Studio, ...). Opt-in: `embedding_engine: openai` in the provider parameters."""
from __future__ import annotations

import math
import os
from typing import Any, Optional

from rails.errors import ConfigError, LLMCallError
from rails.index.base import EmbeddingSearchProvider, IndexItem, scored

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "text-embedding-3-small"


def cosine_to_score(cosine: float) -> float:
    """The score the reference's angular index reports for a cosine: 1 - distance / 2 with
    distance = sqrt(2 (1 - cos)); 1 for the same direction, 0 for the opposite one. Using the
    same scale keeps NeMo similarity thresholds meaningful."""
    return max(0.0, min(1.0, 1.0 - math.sqrt(max(0.0, 2.0 * (1.0 - cosine))) / 2.0))


class OpenAIEmbeddingSearchProvider(EmbeddingSearchProvider):
    """Embeds items in batches at `build()` and each query at search time, ranks by cosine.

    The API key comes from the environment variable named by `api_key_env_var` (default
    `OPENAI_API_KEY`), or `api_key` directly; a local server may need none. `transport` is an
    `httpx` transport, for tests."""

    def __init__(self, embedding_model: Optional[str] = None, base_url: Optional[str] = None,
                 api_key: Optional[str] = None, api_key_env_var: str = "OPENAI_API_KEY",
                 timeout: float = 30.0, batch_size: int = 128,
                 search_threshold: Optional[float] = None, transport: Any = None,
                 **_ignored: Any):
        self.embedding_model = embedding_model or DEFAULT_MODEL
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL")
                         or DEFAULT_BASE_URL).rstrip("/")
        self._api_key, self._api_key_env_var = api_key, api_key_env_var
        self.timeout, self.batch_size = timeout, max(1, int(batch_size))
        self.search_threshold = search_threshold
        self._transport = transport
        self._items: list[IndexItem] = []
        self._vectors: list[list[float]] = []
        self._query_cache: dict[str, list[float]] = {}

    def describe(self) -> str:
        return f"semantic: {self.embedding_model} from {self.base_url}/embeddings"

    async def add_items(self, items: list[IndexItem]) -> None:
        self._items.extend(items)

    async def build(self) -> None:
        pending = [item.text for item in self._items[len(self._vectors):]]
        for start in range(0, len(pending), self.batch_size):
            self._vectors += await self.embed(pending[start:start + self.batch_size])

    async def search(self, text: str, max_results: int = 20,
                     threshold: Optional[float] = None) -> list[IndexItem]:
        if len(self._vectors) < len(self._items):
            await self.build()
        if threshold is None:
            threshold = self.search_threshold
        query = self._query_cache.get(text)
        if query is None:
            query = (await self.embed([text]))[0]
            if len(self._query_cache) > 1024:
                self._query_cache.clear()
            self._query_cache[text] = query
        ranked = sorted(((cosine_to_score(_cosine(query, vector)), -i)
                         for i, vector in enumerate(self._vectors)), reverse=True)
        results = []
        for score, negative_position in ranked[:max_results]:
            if threshold is not None and score < threshold:
                break
            results.append(scored(self._items[-negative_position], round(score, 6)))
        return results

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """One request to the endpoint; vectors in the order of `texts`."""
        import httpx

        url = f"{self.base_url}/embeddings"
        headers = {"Content-Type": "application/json"}
        key = self._api_key or os.environ.get(self._api_key_env_var)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        body = {"model": self.embedding_model, "input": texts}
        try:
            async with httpx.AsyncClient(timeout=self.timeout,
                                         transport=self._transport) as client:
                response = await client.post(url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise LLMCallError(f"embeddings request to {url} failed: {type(exc).__name__}: "
                               f"{exc}", endpoint=url) from exc
        if response.status_code != 200:
            raise LLMCallError(f"embeddings request to {url} answered {response.status_code}",
                               endpoint=url, status=response.status_code,
                               body_excerpt=response.text[:500])
        try:
            data = sorted(response.json()["data"], key=lambda entry: entry.get("index", 0))
            vectors = [[float(x) for x in entry["embedding"]] for entry in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise LLMCallError(f"embeddings answer from {url} is not in the expected format "
                               f"({{'data': [{{'embedding': [...]}}]}})", endpoint=url,
                               status=response.status_code,
                               body_excerpt=response.text[:500]) from exc
        if len(vectors) != len(texts):
            raise LLMCallError(f"embeddings answer from {url} has {len(vectors)} vectors for "
                               f"{len(texts)} texts", endpoint=url, status=response.status_code)
        return vectors


def _cosine(a: list[float], b: list[float]) -> float:
    if len(a) != len(b):
        raise ConfigError(f"embedding sizes differ ({len(a)} vs {len(b)}); was the embedding "
                          "model changed after the index was built?")
    dot = sum(x * y for x, y in zip(a, b))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
