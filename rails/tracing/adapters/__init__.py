"""Tracing adapters (NeMo's `nemoguardrails.tracing.adapters`)."""
from rails.tracing.adapters.base import InteractionLogAdapter
from rails.tracing.adapters.registry import register_log_adapter

__all__ = ["InteractionLogAdapter", "register_log_adapter"]
