"""`get_llm_instance_wrapper`: register an already-built LangChain model under an engine name
(NeMo Guardrails' helper of the same name, used by config.py files)."""
from __future__ import annotations

from typing import Any


def get_llm_instance_wrapper(llm_instance: Any, llm_type: str) -> type:
    """A LangChain LLM class whose instances all delegate to `llm_instance`; pass it to
    `register_llm_provider` so that `engine: <name>` uses that instance."""
    from langchain_core.language_models.llms import LLM

    class InstanceWrapper(LLM):
        temperature: float = 1.0
        streaming: bool = False

        @property
        def _llm_type(self) -> str:
            return llm_type

        @property
        def model_kwargs(self) -> dict:
            return getattr(llm_instance, "model_kwargs", {}) or {}

        def _call(self, prompt: str, stop=None, run_manager=None, **kwargs: Any) -> str:
            return _text(llm_instance.invoke(prompt, stop=stop, **kwargs))

        async def _acall(self, prompt: str, stop=None, run_manager=None, **kwargs: Any) -> str:
            return _text(await llm_instance.ainvoke(prompt, stop=stop, **kwargs))

    InstanceWrapper.__name__ = f"{llm_type}Wrapper"
    return InstanceWrapper


def _text(result: Any) -> str:
    return result if isinstance(result, str) else getattr(result, "content", str(result))
