"""Models from `config.models` entries: the built-in OpenAI-compatible engine, or a LangChain
provider imported on demand."""
from __future__ import annotations

import importlib
from typing import Any

from rails.errors import ConfigError

NATIVE_ENGINES = frozenset({"openai", "openai_compatible", "openai-compatible", "vllm_openai"})
# Engines that speak the older `/completions` route of the same protocol.
COMPLETION_ENGINES = frozenset({"vllm_openai"})

# engine -> (module, class, pip package) for LangChain chat models we know how to build.
LANGCHAIN_CHAT_MODELS: dict[str, tuple[str, str, str]] = {
    "anthropic": ("langchain_anthropic", "ChatAnthropic", "langchain-anthropic"),
    "azure": ("langchain_openai", "AzureChatOpenAI", "langchain-openai"),
    "azure_openai": ("langchain_openai", "AzureChatOpenAI", "langchain-openai"),
    "nim": ("langchain_nvidia_ai_endpoints", "ChatNVIDIA", "langchain-nvidia-ai-endpoints"),
    "nvidia_ai_endpoints": ("langchain_nvidia_ai_endpoints", "ChatNVIDIA",
                            "langchain-nvidia-ai-endpoints"),
    "ollama": ("langchain_ollama", "ChatOllama", "langchain-ollama"),
    "google_genai": ("langchain_google_genai", "ChatGoogleGenerativeAI",
                     "langchain-google-genai"),
    "vertexai": ("langchain_google_vertexai", "ChatVertexAI", "langchain-google-vertexai"),
    "cohere": ("langchain_cohere", "ChatCohere", "langchain-cohere"),
    "mistralai": ("langchain_mistralai", "ChatMistralAI", "langchain-mistralai"),
    "groq": ("langchain_groq", "ChatGroq", "langchain-groq"),
    "bedrock": ("langchain_aws", "ChatBedrock", "langchain-aws"),
    "huggingface_endpoint": ("langchain_huggingface", "HuggingFaceEndpoint",
                             "langchain-huggingface"),
}


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def create_llm(model_config: Any) -> Any:
    """The model for one `config.models` entry (`{type, engine, model, parameters}`)."""
    engine = _get(model_config, "engine")
    model = _get(model_config, "model")
    parameters = dict(_get(model_config, "parameters") or {})
    if not engine:
        raise ConfigError("a model has no `engine`", key="models")
    key_variable = _get(model_config, "api_key_env_var")
    if key_variable and "api_key_env_var" not in parameters and "api_key" not in parameters:
        # NeMo's newer place for it: the model's top level, not its parameters.
        parameters["api_key_env_var"] = key_variable
    from rails.llm.providers import get_llm_provider

    registered = get_llm_provider(engine)
    if registered is not None:
        _key_from_variable(parameters)
        if model and "model" not in parameters and "model_name" not in parameters:
            parameters["model"] = model
        return _construct(registered, engine, parameters)
    if engine in NATIVE_ENGINES:
        from rails.llm.openai_engine import OpenAICompatibleModel

        if engine in COMPLETION_ENGINES:
            parameters.setdefault("api", "completions")
        return OpenAICompatibleModel.from_parameters(model, parameters)
    return _langchain_model(engine, model, parameters)


def _key_from_variable(parameters: dict) -> None:
    """Clients other than ours take the key itself: read the variable `api_key_env_var` names."""
    key_variable = parameters.pop("api_key_env_var", None)
    if key_variable:
        import os

        value = os.environ.get(key_variable)
        if value is None:
            raise ConfigError(f"the environment variable {key_variable} named by "
                              "api_key_env_var is not set", key="models.api_key_env_var")
        parameters.setdefault("api_key", value)


def _langchain_model(engine: str, model: Any, parameters: dict) -> Any:
    _key_from_variable(parameters)
    known = LANGCHAIN_CHAT_MODELS.get(engine)
    if model and "model" not in parameters and "model_name" not in parameters:
        parameters["model"] = model
    if known is not None:
        module_name, class_name, package = known
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise ConfigError(f"the model engine '{engine}' needs the package {package} "
                              f"(pip install {package})", key="models.engine") from error
        return _construct(getattr(module, class_name), engine, parameters)
    try:
        from langchain.chat_models import init_chat_model
    except ImportError:
        init_chat_model = None
    if init_chat_model is not None:
        try:
            return init_chat_model(model_provider=engine, **parameters)
        except (ImportError, ValueError) as error:
            raise ConfigError(f"could not create a model for engine '{engine}': {error}",
                              key="models.engine") from error
    try:
        from langchain_community.llms import get_type_to_cls_dict
    except ImportError as error:
        raise ConfigError(
            f"unknown model engine '{engine}'. Built in: {', '.join(sorted(NATIVE_ENGINES))} "
            f"(any OpenAI-compatible endpoint; set parameters.base_url). Also supported with "
            f"their packages: {', '.join(sorted(LANGCHAIN_CHAT_MODELS))}; other providers "
            "need `pip install langchain langchain-community`", key="models.engine") from error
    providers = get_type_to_cls_dict()
    if engine not in providers:
        raise ConfigError(f"unknown model engine '{engine}'; LangChain Community knows: "
                          f"{', '.join(sorted(providers)[:40])}...", key="models.engine")
    return _construct(providers[engine](), engine, parameters)


def _construct(cls: Any, engine: str, parameters: dict) -> Any:
    try:
        return cls(**parameters)
    except Exception as error:  # provider validation errors name the missing setting
        raise ConfigError(f"could not create the '{engine}' model {cls.__name__}: {error}",
                          key="models.parameters") from error
