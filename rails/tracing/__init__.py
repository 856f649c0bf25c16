"""Tracing of turns (`tracing: {enabled: true, adapters: [...]}` in config.yml, NeMo's keys).

Off by default, and then free: nothing here is imported. When on, each turn is turned into
spans (`spans.py`) after it ends and handed to every adapter (`adapters/`)."""
from rails.tracing.adapters.base import InteractionLogAdapter
from rails.tracing.adapters.registry import register_log_adapter
from rails.tracing.spans import InteractionLog, SpanData
from rails.tracing.tracer import Tracer

__all__ = ["InteractionLog", "InteractionLogAdapter", "SpanData", "Tracer",
           "register_log_adapter"]
