"""dialog-rails: programmable rails around LLM conversations (a Colang 1.0 engine).

Public names are imported lazily so that `import rails` stays fast and light."""
from __future__ import annotations

from rails import nemo_paths as _nemo_paths

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


_nemo_paths.install()  # NeMo's module paths under `rails.` (rails.rails.llm.config, ...)
