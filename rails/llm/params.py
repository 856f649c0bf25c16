"""`llm_params`: temporary call settings for a model, as in NeMo Guardrails' custom actions:

    with llm_params(llm, temperature=0.0, max_tokens=50):
        text = await llm_call(llm, prompt)

Unlike changing attributes on the shared model object, the settings live in a context
variable: they apply to `llm_call`s on that model inside the block, in this task only, so
concurrent conversations never see each other's settings. Arguments given to `llm_call`
directly win over these.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Optional

_active: ContextVar[Optional[dict]] = ContextVar("rails_llm_params", default=None)


class llm_params:  # noqa: N801  (NeMo's name, used as a context manager)
    def __init__(self, llm: Any, **settings: Any):
        self.llm = llm
        self.settings = settings
        self._token = None

    def __enter__(self) -> "llm_params":
        current = dict(_active.get() or {})
        key = id(self.llm)
        current[key] = {**current.get(key, {}), **self.settings}
        self._token = _active.set(current)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _active.reset(self._token)

    async def __aenter__(self) -> "llm_params":
        return self.__enter__()

    async def __aexit__(self, *exc_info: Any) -> None:
        self.__exit__()


def active_params(llm: Any) -> Optional[dict]:
    """The settings of the enclosing `llm_params` blocks for this model, if any."""
    active = _active.get()
    return active.get(id(llm)) if active else None
