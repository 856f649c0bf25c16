"""The parts of NeMo's `LLMRails` API that code written for it calls beyond generation: the
event interface, swapping the model, and the attributes it reads. `LLMRails` inherits them;
they live here so that the generation object stays about generation."""
from __future__ import annotations

from typing import Any, Optional

DEFAULT_EMBEDDING_MODEL, DEFAULT_EMBEDDING_ENGINE = "all-MiniLM-L6-v2", "FastEmbed"


class NemoRailsAPI:
    # Provided by LLMRails.
    _parts: Any
    _history: Any
    _loop_thread: Any
    _ready: Any
    _prepared: bool

    async def process_events_async(self, events: list[dict], state: Optional[dict] = None,
                                   blocking: bool = False) -> tuple[list[dict], dict]:
        """Run `events` (the new ones, after the history kept in `state`) and return the output
        events and the state to pass next time (`{"events": [...]}`, the whole history).
        NeMo supports this for Colang 2.x only; for Colang 1.0 it is the event interface of
        `generate_events` carried forward. `blocking` is accepted: actions always complete
        within the call here."""
        if state is not None and not (isinstance(state, dict)
                                      and isinstance(state.get("events", []), list)):
            raise ValueError("`state` must be the state a previous process_events call returned "
                             "({'events': [...]}) or None")
        history = list((state or {}).get("events") or []) + list(events)
        new_events = await self.generate_events_async(history)
        return new_events, {"events": history + new_events}

    def process_events(self, events: list[dict], state: Optional[dict] = None,
                       blocking: bool = False) -> tuple[list[dict], dict]:
        return self._loop_thread.run(self.process_events_async(events, state, blocking))

    def update_llm(self, llm: Any) -> None:
        """Use `llm` as the main model from the next call on (actions that name `llm` get it
        too)."""
        parts = self._parts
        parts.llm = llm
        parts.llms["main"] = llm
        parts.action_params["llm"] = llm
        parts.generation.llm = llm

    def register_embedding_provider(self, cls: type, name: Optional[str] = None) -> Any:
        """Serve `embedding_engine: <name>` with `cls` (NeMo's EmbeddingModel interface:
        `encode` and/or `encode_async`); `name` defaults to `cls.engine_name`. Indexes are
        rebuilt with it on the next call."""
        from rails.index.semantic.custom import register_embedding_provider

        register_embedding_provider(cls, name)
        self._ready, self._prepared = None, False
        return self

    # -- attributes NeMo code reads ----------------------------------------------------------

    @property
    def kb(self) -> Any:
        """The knowledge base (built on the first call), or None."""
        return self._parts.kb

    @property
    def llm_generation_actions(self) -> Any:
        return self._parts.generation

    @property
    def events_history_cache(self) -> Any:
        """The cache of conversation histories this instance continues from (`.clear()` it to
        start every conversation afresh)."""
        return self._history

    @property
    def main_llm_supports_streaming(self) -> bool:
        """Whether the main model can stream tokens: the built-in engine can; a LangChain model
        can when it has a `streaming` field, as NeMo checks."""
        llm = self._parts.llm
        if llm is None:
            return False
        if getattr(llm, "is_native_rails_model", False):  # the built-in engine streams
            return True
        fields = getattr(type(llm), "model_fields", None) or {}
        return "streaming" in fields

    @property
    def default_embedding_model(self) -> str:
        model = self._embedding_model_config()
        return model.model if model is not None else DEFAULT_EMBEDDING_MODEL

    @property
    def default_embedding_engine(self) -> str:
        model = self._embedding_model_config()
        return model.engine if model is not None else DEFAULT_EMBEDDING_ENGINE

    def _embedding_model_config(self) -> Any:
        return next((model for model in self._parts.config.models or []
                     if model.type == "embeddings"), None)
