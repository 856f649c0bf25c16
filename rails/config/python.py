"""Importing a config folder's `config.py` (spec §5.5)."""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Optional, Union

from rails.errors import ConfigError


def load_config_module(folder: Union[str, Path]) -> Optional[ModuleType]:
    """Import `<folder>/config.py` (or the given `.py` file) under a module name unique to its
    path, so two configs' `config.py` never replace each other; None when there is none.
    Any failure becomes a ConfigError naming the file, with the original as `__cause__`."""
    path = Path(folder)
    if path.is_dir():
        path = path / "config.py"
    if not path.is_file() or path.suffix != ".py":
        return None  # e.g. a config given as one .co or .yml file: it has no config.py
    from rails.compat import install_nemoguardrails_alias

    install_nemoguardrails_alias()  # NeMo Guardrails config.py files import nemoguardrails
    resolved = str(path.resolve())
    name = "rails_user_config_" + hashlib.sha1(resolved.encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise ConfigError("cannot be imported as a Python module", file=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ConfigError(f"importing it failed: {type(exc).__name__}: {exc}",
                          file=str(path)) from exc
    return module
