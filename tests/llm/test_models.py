"""create_llm: the built-in engine for OpenAI-compatible endpoints, clear errors otherwise."""
from __future__ import annotations

import importlib.util

import pytest

from rails.errors import ConfigError
from rails.llm.models import create_llm
from rails.llm.openai_engine import OpenAICompatibleModel


def test_openai_engines_use_the_builtin_model_with_parameters():
    model = create_llm({"type": "main", "engine": "openai", "model": "gpt-4o-mini",
                        "parameters": {"base_url": "http://127.0.0.1:1/v1/", "temperature": 0.1,
                                       "max_tokens": 9, "top_p": 0.5, "api_key": "k"}})
    assert isinstance(model, OpenAICompatibleModel)
    assert (model.model, model.base_url, model.temperature, model.max_tokens) == (
        "gpt-4o-mini", "http://127.0.0.1:1/v1", 0.1, 9)
    assert model.body_params == {"top_p": 0.5}
    compatible = create_llm({"engine": "openai_compatible",
                             "parameters": {"model_name": "local", "api_base": "http://h/v1"}})
    assert (compatible.model, compatible.base_url) == ("local", "http://h/v1")


def test_openai_engine_needs_a_model_name():
    with pytest.raises(ConfigError, match="needs a `model`"):
        create_llm({"engine": "openai"})


def test_config_model_objects_work(config_factory):
    config = config_factory("""
        models:
          - type: main
            engine: openai
            model: m1
            parameters:
              base_url: http://127.0.0.1:1/v1
    """)
    assert create_llm(config.models[0]).model == "m1"


@pytest.mark.skipif(importlib.util.find_spec("langchain_anthropic") is not None,
                    reason="the provider package is installed here")
def test_known_provider_without_its_package_names_the_package():
    with pytest.raises(ConfigError, match="pip install langchain-anthropic"):
        create_llm({"engine": "anthropic", "model": "claude"})


@pytest.mark.skipif(importlib.util.find_spec("langchain") is not None
                    or importlib.util.find_spec("langchain_community") is not None,
                    reason="langchain provider registries are installed here")
def test_unknown_engine_lists_what_is_supported():
    with pytest.raises(ConfigError, match="unknown model engine 'weird'.*openai_compatible"):
        create_llm({"engine": "weird", "model": "x"})


def test_missing_engine():
    with pytest.raises(ConfigError, match="no `engine`"):
        create_llm({"type": "main"})
