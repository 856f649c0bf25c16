"""Choosing the search index for an `embedding_search_provider` setting."""
from __future__ import annotations

import logging
import os
from typing import Any, Mapping, Optional

from rails.errors import ConfigError
from rails.index.base import EmbeddingSearchProvider
from rails.index.lexical import LexicalSearchProvider

log = logging.getLogger(__name__)

# `embedding_engine: lexical` asks for the lexical index whatever is installed.
LEXICAL_ONLY = {"lexical"}
OPENAI_ENGINES = {"openai", "openai_compatible"}
# Engine for configs that name none (e.g. `lexical` for a small-memory deployment).
ENGINE_VARIABLE = "DIALOG_RAILS_EMBEDDING_ENGINE"


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
    - `default`: by `parameters.embedding_engine` (else the config's `type: embeddings` model,
      passed as `embeddings_model`): `openai` -> the OpenAI-compatible embeddings endpoint;
      `lexical` -> the lexical index; `FastEmbed` / `SentenceTransformers` -> those libraries
      with a local model; none -> the embedded model of `dialog-rails[semantic]` when it is
      installed, else the lexical index (see `rails.index.semantic.engines`, which also says
      in the log what serves when the configured engine cannot run).
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
    if engine is None:  # the process-wide choice for configs that name no engine
        engine = os.environ.get(ENGINE_VARIABLE) or None
    normalized = str(engine).lower() if engine is not None else None
    if normalized in OPENAI_ENGINES:
        from rails.index.openai_embeddings import OpenAIEmbeddingSearchProvider

        options = {k: v for k, v in parameters.items()
                   if k not in ("embedding_engine", "embedding_model")}
        return OpenAIEmbeddingSearchProvider(embedding_model=model, **options)
    if normalized in LEXICAL_ONLY:
        return LexicalSearchProvider(search_threshold=parameters.get("search_threshold"))
    from rails.index.semantic.engines import choose_encoder

    choice = choose_encoder(engine, model, parameters)
    if choice.encoder is None:
        provider = LexicalSearchProvider(search_threshold=parameters.get("search_threshold"))
    else:
        from rails.index.semantic.provider import (DEFAULT_LEXICAL_WEIGHT,
                                                   DEFAULT_NAME_WEIGHT,
                                                   SemanticSearchProvider)

        provider = SemanticSearchProvider(
            choice.encoder, search_threshold=parameters.get("search_threshold"),
            lexical_weight=parameters.get("lexical_weight", DEFAULT_LEXICAL_WEIGHT),
            name_weight=parameters.get("intent_name_weight", DEFAULT_NAME_WEIGHT),
            cache=bool(parameters.get("vector_cache", True)))
    provider.note = choice.note
    return provider


def describe_provider(provider: Any) -> str:
    """One line saying which index serves, for `check` and `chat --verbose`."""
    describe = getattr(provider, "describe", None)
    text = describe() if callable(describe) else f"custom: {type(provider).__name__}"
    note = getattr(provider, "note", "")
    return f"{text} ({note})" if note else text


def describe_config_search(config: Any) -> str:
    """Which index serves a config's intents, bot messages and flows (and, when its settings
    differ, its knowledge base): the line `check` and `chat --verbose` print."""
    embeddings = next((m for m in getattr(config, "models", None) or []
                       if getattr(m, "type", None) == "embeddings"), None)

    def one(settings: Any) -> str:
        name, _ = _settings_parts(settings)
        if name != "default":
            return f"custom: provider {name!r} (registered with " \
                   "register_embedding_search_provider)"
        return describe_provider(create_search_provider(settings, {}, embeddings))

    core = config.core.embedding_search_provider
    text = one(core)
    kb = config.knowledge_base.embedding_search_provider
    if getattr(config, "docs", None) and _settings_parts(kb) != _settings_parts(core):
        text += f"; knowledge base: {one(kb)}"
    return text
