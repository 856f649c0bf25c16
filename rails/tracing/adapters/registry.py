"""Tracing adapters by name: the built-in `FileSystem` and `OpenTelemetry`, and yours
(`register_log_adapter(MyAdapter, "Mine")`, then `adapters: [{name: Mine, ...}]`)."""
from __future__ import annotations

from typing import Any, Optional

from rails.errors import ConfigError

_registered: dict[str, type] = {}


def register_log_adapter(model: type, name: Optional[str] = None) -> None:
    name = name or getattr(model, "name", None)
    if not name:
        raise ValueError("register_log_adapter needs a name (or a class with a `name`)")
    _registered[name] = model


def adapter_class(name: str) -> type:
    if name in _registered:
        return _registered[name]
    if name == "FileSystem":
        from rails.tracing.adapters.filesystem import FileSystemAdapter

        return FileSystemAdapter
    if name == "OpenTelemetry":
        from rails.tracing.adapters.opentelemetry import OpenTelemetryAdapter

        return OpenTelemetryAdapter
    known = ["FileSystem", "OpenTelemetry", *_registered]
    raise ConfigError(f"unknown tracing adapter {name!r}; known: {', '.join(known)} (register "
                      "your own with rails.tracing.register_log_adapter)",
                      key="tracing.adapters")


def create_adapter(settings: Any) -> Any:
    options = dict(getattr(settings, "model_extra", None) or {})
    return adapter_class(settings.name)(**options)
