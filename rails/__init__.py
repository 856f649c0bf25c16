"""dialog-rails: programmable rails around LLM conversations (a Colang 1.0 engine).

Public names are imported lazily so that `import rails` stays fast and light."""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["LLMRails", "RailsConfig", "__version__"]


def __getattr__(name: str):
    if name == "LLMRails":
        from rails.llmrails import LLMRails
        return LLMRails
    if name == "RailsConfig":
        from rails.config import RailsConfig
        return RailsConfig
    raise AttributeError(f"module 'rails' has no attribute {name!r}")
