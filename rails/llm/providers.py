"""Model providers registered by name, so that `engine: <name>` in config.yml builds them
(NeMo Guardrails' `register_llm_provider` / `register_chat_provider`, e.g. from config.py)."""
from __future__ import annotations

from typing import Any

_providers: dict[str, Any] = {}


def register_llm_provider(name: str, provider_cls: Any) -> None:
    """`engine: name` now builds `provider_cls(**parameters)` (plus `model` when given)."""
    _providers[name] = provider_cls


register_chat_provider = register_llm_provider


def get_llm_provider(name: str) -> Any:
    return _providers.get(name)


def get_llm_provider_names() -> list[str]:
    return sorted(_providers)
