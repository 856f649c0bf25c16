"""The tracer of one LLMRails: builds each finished turn's spans and exports them to the
configured adapters. An adapter that fails is logged and never fails the turn."""
from __future__ import annotations

import logging
from typing import Any

from rails.tracing.adapters.registry import create_adapter
from rails.tracing.spans import build_interaction_log

log = logging.getLogger("rails.tracing")


class Tracer:
    def __init__(self, config: Any):
        settings = config.tracing
        self.capture = bool(settings.enable_content_capture)
        self.adapters = [create_adapter(adapter) for adapter in settings.adapters]
        self.config_id = config.config_path
        # model name -> provider (the `engine` of config.yml); "" -> the main model's.
        self.providers: dict[str, str] = {}
        for model in config.models:
            if model.model:
                self.providers.setdefault(model.model, model.engine)
            if model.type == "main":
                self.providers[""] = model.engine

    async def trace_turn(self, turn_log: Any, *, messages: list[dict], response: dict,
                         started: float, finished: float) -> None:
        from rails.generation_log import build_generation_log

        try:
            interaction = build_interaction_log(
                build_generation_log(turn_log), messages=messages, response=response,
                started=started, finished=finished, capture=self.capture,
                providers=self.providers, config_id=self.config_id)
        except Exception:
            log.exception("could not build the trace of a turn")
            return
        for adapter in self.adapters:
            try:
                await adapter.transform_async(interaction)
            except Exception:
                log.exception("tracing adapter %s failed", type(adapter).__name__)
