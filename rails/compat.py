"""Lets the Python files of NeMo Guardrails config folders (actions.py, config.py) import
`nemoguardrails...` unchanged: when the real package is not installed, `nemoguardrails.X`
resolves to `rails.X` (the public modules keep NeMo's paths, see rails/rails/ and
rails/actions/actions.py)."""
from __future__ import annotations

import importlib
import importlib.util
import sys

ALIAS, TARGET = "nemoguardrails", "rails"


class _AliasFinder:
    """A meta path finder and loader (by protocol: the `importlib.abc` base classes would
    import `importlib.resources` and more at start-up, for nothing)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        real = TARGET + fullname[len(ALIAS):]
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=real)

    def create_module(self, spec):
        return importlib.import_module(spec.origin)

    def exec_module(self, module):
        pass  # the target module is already executed


_installed = False


def install_nemoguardrails_alias() -> bool:
    """Install the alias unless the real `nemoguardrails` is importable. Returns whether the
    alias is active."""
    global _installed
    if _installed:
        return True
    if ALIAS in sys.modules or importlib.util.find_spec(ALIAS) is not None:
        return False
    sys.meta_path.append(_AliasFinder())
    _installed = True
    return True
