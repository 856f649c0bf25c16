"""NeMo Guardrails' module paths, in one table.

Code written for NeMo imports names from paths like `nemoguardrails.rails.llm.options`. Our real
code lives in its own layers; this table says which of our modules provides the names of each NeMo
path. It serves both spellings: `nemoguardrails.X` (unchanged config-folder files, see
`rails.compat`) and `rails.X` (user code after changing the import). A path of the table becomes a
small module that hands out the target's attributes; a NeMo path that is not in the table resolves
to our module of the same name, when there is one (`nemoguardrails.actions` is `rails.actions`).
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types

# NeMo path (after the package name) -> our module that provides its names.
NEMO_PATHS: dict[str, str] = {
    "rails": "rails",
    "rails.llm": "rails",
    "rails.llm.config": "rails.config",
    "rails.llm.llmrails": "rails.llmrails",
    "rails.llm.options": "rails.options",
    "actions.actions": "rails.actions.decorator",
    "actions.action_dispatcher": "rails.actions.dispatcher",
    "actions.llm": "rails.llm.event_helpers",
    "actions.llm.utils": "rails.llm.event_helpers",
    "actions.retrieve_relevant_chunks": "rails.llm.retrieval",
    "actions.summarize_document": "rails.llm.summarize",
    "llm.completion_parsing": "rails.llm.event_helpers",
    "server.api": "rails.server.nemo_hooks",
    "server.datastore": "rails.state.datastore_store",
    "server.datastore.datastore": "rails.state.datastore_store",
    "server.datastore.memory_store": "rails.state.datastore_store",
    "kb": "rails.index",
    "kb.kb": "rails.index",
    "embeddings": "rails.index",
    "embeddings.index": "rails.index",
    "embeddings.providers": "rails.index.semantic.custom",
    "embeddings.providers.base": "rails.index.semantic.custom",
}

NEMO, OURS = "nemoguardrails", "rails"


def _is_package(path: str) -> bool:
    prefix = path + "."
    return any(key.startswith(prefix) for key in NEMO_PATHS)


def _proxy(fullname: str, target: str, package: bool) -> types.ModuleType:
    """A module named `fullname` whose attributes are those of `target` (imported on first use:
    `import rails` must stay light)."""
    module = types.ModuleType(fullname, f"NeMo Guardrails path; the names of `{target}`.")

    def __getattr__(name: str):
        if name.startswith("__") and name not in ("__all__", "__version__"):
            raise AttributeError(name)
        return getattr(importlib.import_module(target), name)

    def __dir__():
        return dir(importlib.import_module(target))

    module.__getattr__ = __getattr__
    module.__dir__ = __dir__
    if package:
        module.__path__ = []  # submodules come from the finder below, not from files
    return module


class NemoPathFinder:
    """A meta path finder and loader (by protocol: the `importlib.abc` base classes would import
    more at start-up, for nothing). It sits last on `sys.meta_path`, so real modules win."""

    def __init__(self, alias_nemoguardrails: bool) -> None:
        self.alias_nemoguardrails = alias_nemoguardrails

    def find_spec(self, fullname, path=None, target=None):
        package, _, rest = fullname.partition(".")
        if package == OURS and rest in NEMO_PATHS:
            return importlib.util.spec_from_loader(fullname, self, origin=NEMO_PATHS[rest])
        if package != NEMO or not self.alias_nemoguardrails:
            return None
        if not rest:
            return importlib.util.spec_from_loader(fullname, self, origin=OURS)
        if rest in NEMO_PATHS:
            return importlib.util.spec_from_loader(fullname, self, origin=NEMO_PATHS[rest])
        real = f"{OURS}.{rest}"
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=real)

    def create_module(self, spec):
        rest = spec.name.partition(".")[2]
        if rest in NEMO_PATHS:
            return _proxy(spec.name, spec.origin, _is_package(rest))
        return importlib.import_module(spec.origin)  # the same module under NeMo's name

    def exec_module(self, module):
        pass  # a proxy has nothing to run; a real target is already executed


_finder: NemoPathFinder | None = None


def install(alias_nemoguardrails: bool = False) -> NemoPathFinder:
    """Put the finder on `sys.meta_path` (once); `alias_nemoguardrails` also answers for
    `nemoguardrails.*` (only when the real package is not installed: see `rails.compat`)."""
    global _finder
    if _finder is None:
        _finder = NemoPathFinder(alias_nemoguardrails)
        sys.meta_path.append(_finder)
    elif alias_nemoguardrails:
        _finder.alias_nemoguardrails = True
    return _finder
