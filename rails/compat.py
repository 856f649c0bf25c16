"""Lets the Python files of NeMo Guardrails config folders (actions.py, config.py) import
`nemoguardrails...` unchanged: when the real package is not installed, `nemoguardrails.X`
resolves through `rails.nemo_paths` (NeMo's paths, one table) to our modules."""
from __future__ import annotations

import importlib.util
import sys

from rails import nemo_paths


def install_nemoguardrails_alias() -> bool:
    """Answer for `nemoguardrails.*` unless the real `nemoguardrails` is importable. Returns
    whether the alias is active."""
    finder = nemo_paths.install()
    if finder.alias_nemoguardrails:
        return True
    if nemo_paths.NEMO in sys.modules or importlib.util.find_spec(nemo_paths.NEMO) is not None:
        return False
    nemo_paths.install(alias_nemoguardrails=True)
    return True
