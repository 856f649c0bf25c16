"""Finding actions on disk (spec §4.1): `P/actions.py` and every `P/actions/**/*.py` of a path P.

Modules are imported from their file (they need not be on `sys.path`); the import is cached by
file identity (path, size, mtime) so that building several engines from one config imports its
actions once. Import errors are returned, never raised: the caller keeps and reports them."""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import logging
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

log = logging.getLogger("rails.actions")

_cache: dict[tuple, ModuleType] = {}
_lock = threading.Lock()


def action_files(path: Path) -> list[Path]:
    """The files searched under `path`, in load order: `actions/**/*.py` (sorted, no
    `__init__.py`), then `actions.py`."""
    files: list[Path] = []
    folder = path / "actions"
    if folder.is_dir():
        # Regular files only: importing a FIFO named x.py would block the load.
        files.extend(sorted(p for p in folder.rglob("*.py")
                            if p.name != "__init__.py" and "__pycache__" not in p.parts
                            and p.is_file()))
    single = path / "actions.py"
    if single.is_file():
        files.append(single)
    return files


def import_file(file: Path) -> ModuleType:
    """Import a Python file as a module of its own; raises what the import raises. NeMo
    Guardrails action files may `import nemoguardrails` (see rails.compat)."""
    from rails.compat import install_nemoguardrails_alias

    install_nemoguardrails_alias()
    file = file.resolve()
    stat = file.stat()
    key = (str(file), stat.st_size, stat.st_mtime_ns)
    with _lock:
        module = _cache.get(key)
        if module is not None:
            return module
        digest = hashlib.sha1(str(file).encode()).hexdigest()[:12]
        module_name = f"rails_user_actions_{digest}_{file.stem}"
        spec = importlib.util.spec_from_file_location(module_name, file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot create an import spec for {file}")
        module = importlib.util.module_from_spec(spec)
        # Registered while executing: dataclasses and pickling look modules up by name.
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        _cache[key] = module
        return module


def import_module(name: str) -> ModuleType:
    return importlib.import_module(name)


def module_actions(module: ModuleType) -> Iterator[tuple[str, Any]]:
    """(name, object) for every function or class of `module` that carries `action_meta`,
    including ones the module imported."""
    for _, member in inspect.getmembers(module):
        if (inspect.isfunction(member) or inspect.isclass(member)) and isinstance(
                getattr(member, "action_meta", None), dict):
            yield member.action_meta.get("name") or member.__name__, member


def undecorated_functions(module: ModuleType) -> Iterator[str]:
    """Names of the public functions `module` itself defines without `@action`: not actions
    (as in the reference), but a flow that executes one is almost surely missing the
    decorator, and the error can say so."""
    for name, member in inspect.getmembers(module, inspect.isfunction):
        if (not name.startswith("_") and member.__module__ == module.__name__
                and not isinstance(getattr(member, "action_meta", None), dict)):
            yield name
