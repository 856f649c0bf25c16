"""Choosing the search index for an `embedding_search_provider` setting."""
from __future__ import annotations

import logging
from typing import Any, Mapping, Optional

from rails.errors import ConfigError
from rails.index.base import EmbeddingSearchProvider
from rails.index.lexical import LexicalSearchProvider

log = logging.getLogger(__name__)

# `embedding_engine` values served by the offline lexical index without saying anything.
OUR_ENGINES = {None, "", "default", "lexical"}
OPENAI_ENGINES = {"openai", "openai_compatible"}


def _settings_parts(settings: Any) -> tuple[str, dict[str, Any]]:
    if settings is None:
        return "default", {}
    if isinstance(settings, Mapping):
        return settings.get("name") or "default", dict(settings.get("parameters") or {})
    return getattr(settings, "name", None) or "default", dict(
        getattr(settings, "parameters", None) or {})


def create_search_provider(settings: Any = None,
                           registry: Optional[Mapping[str, type]] = None,
                           embeddings_model: Any = None) -> EmbeddingSearchProvider:
    """The index for `settings` (an EmbeddingSearchProvider config section, a dict or None).

    - a name found in `registry` (providers registered by the user): that class, built with
      the settings' `parameters` as keyword arguments;
    - `default`: the offline lexical index, or the OpenAI-compatible embeddings endpoint when
      `parameters.embedding_engine` (else the config's `type: embeddings` model, passed as
      `embeddings_model`) says `openai`. Other engines of NeMo's default provider (FastEmbed,
      SentenceTransformers, ...) need a model download, so they are served by the lexical
      index, and an INFO line says so.
    """
    name, parameters = _settings_parts(settings)
    if registry and name in registry and name != "default":
        try:
            return registry[name](**parameters)
        except TypeError as exc:
            raise ConfigError(f"search provider '{name}' rejected its parameters "
                              f"{sorted(parameters)}: {exc}",
                              key="embedding_search_provider.parameters") from exc
    if name != "default":
        known = ["default", *sorted(registry or {})]
        raise ConfigError(f"unknown search provider '{name}'; known: {', '.join(known)} "
                          "(register others with register_embedding_search_provider)",
                          key="embedding_search_provider.name")

    engine = parameters.get("embedding_engine")
    model = parameters.get("embedding_model")
    if engine is None and embeddings_model is not None:
        engine = getattr(embeddings_model, "engine", None)
        model = model or getattr(embeddings_model, "model", None)
        model_parameters = getattr(embeddings_model, "parameters", None) or {}
        parameters = {**model_parameters, **parameters}
    normalized = str(engine).lower() if engine is not None else None
    if normalized in OPENAI_ENGINES:
        from rails.index.openai_embeddings import OpenAIEmbeddingSearchProvider

        options = {k: v for k, v in parameters.items()
                   if k not in ("embedding_engine", "embedding_model")}
        return OpenAIEmbeddingSearchProvider(embedding_model=model, **options)
    if normalized not in OUR_ENGINES:
        log.info("embedding engine %r (model %r) is served by the offline lexical index: "
                 "nothing is downloaded; set embedding_engine: openai to use an embeddings "
                 "endpoint", engine, model)
    return LexicalSearchProvider(search_threshold=parameters.get("search_threshold"))
