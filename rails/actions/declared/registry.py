"""Organisations' declared actions: checked before they are stored, compiled once when read.

`DeclaredActionRegistry(store, models)` is what the actions server's routes use. A look-up
reads the store every time (so several servers sharing SQLite or Redis see each other's
writes at once) and reuses the compiled action while the stored JSON is unchanged: the cost
of a run's look-up is one point read, not a template parse."""
from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Mapping, Optional

from rails.actions.declared.action import LLMAction
from rails.actions.declared.declaration import parse_declaration
from rails.actions.declared.errors import DeclarationError, DuplicateActionError
from rails.actions.declared.models import unknown_model_message
from rails.actions.declared.store import DeclaredActionStore

COMPILED_CACHE_SIZE = 4096


class DeclaredActionRegistry:
    def __init__(self, store: DeclaredActionStore, models: Optional[Mapping[str, Any]] = None,
                 *, cache_size: int = COMPILED_CACHE_SIZE):
        self.store = store
        self.models = dict(models or {})
        self._compiled: "OrderedDict[str, LLMAction]" = OrderedDict()
        self._cache_size = cache_size

    # -- writes ----------------------------------------------------------------------------

    async def create(self, org: str, data: Any) -> LLMAction:
        """Raises DeclarationError (a field is wrong) or DuplicateActionError."""
        action, body = self._checked(data)
        if not await self.store.create(org, action.name, body):
            raise DuplicateActionError(
                f"the organisation already has an action named '{action.name}' (PUT "
                f"/v1/actions/{action.name} replaces it)", action_name=action.name)
        return action

    async def put(self, org: str, name: str, data: Any) -> tuple[LLMAction, bool]:
        """Creates or replaces `name`; returns the action and whether it was created."""
        action, body = self._checked(data, name=name)
        return action, await self.store.put(org, name, body)

    async def delete(self, org: str, name: str) -> bool:
        return await self.store.delete(org, name)

    # -- reads -----------------------------------------------------------------------------

    async def get(self, org: str, name: str) -> Optional[LLMAction]:
        body = await self.store.get(org, name)
        return None if body is None else self.compiled(body)

    async def list(self, org: str) -> list[LLMAction]:
        return [self.compiled(body) for body in await self.store.list(org)]

    def compiled(self, body: str) -> LLMAction:
        """The action of a stored JSON text, from the cache when that text was seen."""
        cache = self._compiled
        action = cache.get(body)
        if action is not None:
            cache.move_to_end(body)
            return action
        action = LLMAction(parse_declaration(json.loads(body)), models=self.models)
        cache[body] = action
        if len(cache) > self._cache_size:
            cache.popitem(last=False)
        return action

    def _checked(self, data: Any, name: Optional[str] = None) -> tuple[LLMAction, str]:
        declaration = parse_declaration(data, name=name)
        if declaration.model is not None and declaration.model not in self.models:
            raise DeclarationError([("model", unknown_model_message(
                declaration.action_name, declaration.model, self.models))],
                action_name=declaration.action_name)
        if declaration.model is None and "main" not in self.models:
            raise DeclarationError([("model", "this actions server has no main model to run "
                                              "it with: start it with --config naming a "
                                              "config whose `models` has a `type: main`")],
                                   action_name=declaration.action_name)
        body = json.dumps(declaration.to_dict(), ensure_ascii=False, sort_keys=True)
        action = LLMAction(declaration, models=self.models)
        self._compiled[body] = action
        return action, body
