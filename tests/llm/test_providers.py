"""Model providers registered by name, as NeMo config.py files do."""
from __future__ import annotations

from langchain_core.language_models.fake import FakeListLLM

from rails import LLMRails, RailsConfig
from rails.llm.helpers import get_llm_instance_wrapper
from rails.llm.providers import get_llm_provider_names, register_llm_provider


def test_registered_provider_serves_its_engine_name():
    instance = FakeListLLM(responses=["Hello from the wrapped model."])
    register_llm_provider("wrapped_fake", get_llm_instance_wrapper(instance, "wrapped_fake"))
    assert "wrapped_fake" in get_llm_provider_names()
    config = RailsConfig.from_content(
        yaml_content="models:\n  - type: main\n    engine: wrapped_fake\n")
    app = LLMRails(config)
    assert app.generate(prompt="hi") == "Hello from the wrapped model."


def test_vllm_openai_engine_is_served_natively():
    from rails.llm.models import create_llm

    model = create_llm({"type": "llama_guard", "engine": "vllm_openai",
                        "parameters": {"openai_api_base": "http://127.0.0.1:5000/v1",
                                       "model_name": "meta-llama/LlamaGuard-7b"}})
    assert model.endpoint == "http://127.0.0.1:5000/v1/completions"
    assert model.model == "meta-llama/LlamaGuard-7b"
