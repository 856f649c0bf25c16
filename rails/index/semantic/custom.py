"""Embedding models of the user's own, as NeMo registers them: a class with `encode` (and/or
`encode_async`) registered under an engine name serves `embedding_engine: <name>`.

    class MyEmbeddings(EmbeddingModel):
        engine_name = "my_embeddings"
        def __init__(self, embedding_model: str, **parameters): ...
        def encode(self, documents: list[str]) -> list[list[float]]: ...

    rails.register_embedding_provider(MyEmbeddings)   # or register_embedding_provider(...)

The class is built with `embedding_model=<model>` and the search provider's
`embedding_parameters`, once per process and setting, like the built-in engines."""
from __future__ import annotations

import abc
import inspect
from typing import Any, Optional

_registered: dict[str, type] = {}
_loop: Any = None  # a private loop for models that only have `encode_async`


class EmbeddingModel(abc.ABC):
    """NeMo's base class for embedding models (`nemoguardrails.embeddings.providers.base`)."""

    engine_name: Optional[str] = None

    @abc.abstractmethod
    async def encode_async(self, documents: list[str]) -> list[list[float]]:
        ...

    @abc.abstractmethod
    def encode(self, documents: list[str]) -> list[list[float]]:
        ...


def register_embedding_provider(model: type, engine_name: Optional[str] = None) -> None:
    name = engine_name or getattr(model, "engine_name", None)
    if not name:
        raise ValueError("The engine name must be provided either in the model or as an "
                         f"argument: {getattr(model, '__name__', model)!r} has no engine_name")
    if not (_implemented(model, "encode") or _implemented(model, "encode_async")):
        raise ValueError(f"The embedding model {getattr(model, '__name__', model)!r} must have "
                         "an 'encode' or 'encode_async' method")
    _registered[str(name).strip().lower()] = model


def registered_model(engine: Optional[str]) -> Optional[type]:
    return _registered.get((engine or "").strip().lower())


def _implemented(model: type, method: str) -> bool:
    found = getattr(model, method, None)
    return callable(found) and not getattr(found, "__isabstractmethod__", False)


class RegisteredEncoder:
    """A registered model behind the encoder interface of the semantic index (normalised
    float32 vectors). Its vectors are not kept in the disk cache: the cache could not tell
    when the user's code changes what it computes."""

    disk_cache = False

    def __init__(self, engine: str, model_class: type, model: Optional[str],
                 parameters: dict[str, Any]):
        import numpy as np

        self._np = np
        self.engine = engine
        self.model_name = model
        self._model = model_class(embedding_model=model, **parameters)
        self._sync = _implemented(model_class, "encode")
        self.model_id = f"registered:{engine}:{model_class.__qualname__}:{model}"
        self.description = f"{model or model_class.__name__} (registered engine {engine})"
        self.dimension = len(self.encode(["dimension probe"])[0])

    def encode(self, texts: list[str]) -> Any:
        np = self._np
        if self._sync:
            rows = self._model.encode(list(texts))
        else:
            rows = _run(self._model.encode_async(list(texts)))
        vectors = np.asarray(rows, dtype=np.float32)
        if not len(texts):
            return vectors.reshape(0, 0)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _run(coroutine: Any) -> Any:
    global _loop
    if not inspect.isawaitable(coroutine):
        return coroutine
    if _loop is None:
        from rails.sync import LoopThread

        _loop = LoopThread()
    return _loop.run(coroutine)
