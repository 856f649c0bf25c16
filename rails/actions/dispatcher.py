"""`ActionDispatcher`: the registry of actions and the execution of one action (spec §4.1-4.3).

Parameter passing follows the reference: the flow's parameters, `__context__<var>` parameters,
`$name` references resolved against the context, then the special parameters (`events`,
`context` and every name of `injected`) for the parameters the callable's signature names.
Improvements: positional flow arguments (`$1`, `$2`...) reach named parameters when the callable
has no `**kwargs`; an action only the actions server knows can run there; failures keep the
original exception."""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from rails.actions import callables, discovery
from rails.actions.callables import CHAIN, CLASS, INSTANCE, CallSpec
from rails.actions.decorator import ActionResult
from rails.actions.metadata import METADATA_KEYS, ActionMetadata, normalize_metadata
from rails.actions.naming import closest_names, normalize_action_name, not_found_message
from rails.actions.outcome import ActionOutcome
from rails.actions.positional import bind_positional
from rails.actions.threads import ActionThreads, RaisedBaseException
from rails.deadline import Expired, bounded, cancelled_from_outside
from rails.errors import (ActionError, ActionNotFoundError, ActionTimeoutError,
                          DeadlineExceededError, LLMCallError, RemoteActionError,
                          TurnControl)
from rails.policy.rules import POLICY_KEYS, PermissionDenied, check_policy_keys, decide

log = logging.getLogger("rails.actions")

_CONTEXT_PREFIX_LEN = len(callables.CONTEXT_PREFIX)
_MODEL_PARAMS = frozenset({"llm", "llms", "llm_task_manager"})
_DEFAULT = object()
_INFINITY = float("inf")


class _Entry:
    """One registered action; its signature is read on first use, a class is instantiated on
    first use."""

    __slots__ = ("name", "target", "meta", "is_system", "in_thread", "_spec", "_metadata",
                 "overrides", "_takes_model", "has_policy", "schema")

    def __init__(self, name: str, target: Any, meta: dict):
        self.name, self.target, self.meta = name, target, meta
        self.is_system = bool(meta.get("is_system_action", False))
        self.in_thread = bool(meta.get("execute_async", False))
        self._spec: Optional[CallSpec] = None
        self._takes_model: Optional[bool] = None
        self._metadata: Optional[ActionMetadata] = None
        self.overrides: dict = {}
        # Whether `@action` or config overrides set permission keys: a flow's action without
        # any is not checked, and execute() reads this instead of intersecting key sets.
        self.has_policy = bool(POLICY_KEYS.intersection(meta))
        self.schema: Optional[dict] = None  # derived from the signature, on first use
        if METADATA_KEYS.intersection(meta):
            self.metadata  # noqa: B018 - a malformed @action(...) fails when registered
        if POLICY_KEYS.intersection(meta):
            check_policy_keys(name, meta)

    @property
    def policy(self) -> dict:
        """The permission keys (rails.policy) of `@action` and config overrides."""
        merged = {**self.meta, **self.overrides}
        return {key: merged[key] for key in POLICY_KEYS if key in merged}

    @property
    def metadata(self) -> ActionMetadata:
        metadata = self._metadata
        if metadata is None:
            metadata = normalize_metadata(self.name, {**self.meta, **self.overrides},
                                          self.target)
            self._metadata = metadata
        return metadata

    @property
    def similes(self) -> list:
        found = []
        for source in (self.meta, self.overrides):
            for key in ("similes", "aliases"):
                value = source.get(key)
                if isinstance(value, str):
                    value = [value]
                found.extend(value or ())
        return found

    @property
    def takes_model(self) -> bool:
        """Whether the callable names a model parameter (it gets the LLM deadline)."""
        if self._takes_model is None:
            params = self.spec.params
            self._takes_model = bool(params & _MODEL_PARAMS) or any(
                p.endswith("_llm") for p in params)
        return self._takes_model

    @property
    def spec(self) -> CallSpec:
        spec = self._spec
        if spec is None:
            spec = self._spec = callables.describe(self.target)
        return spec


class ActionDispatcher:
    """Registry and executor of actions.

    Discovery (when `load_all_actions`), later sources overriding earlier ones of the same name:
    the modules named in `core_modules`, each of `library_paths`, the current directory (only
    with `include_cwd=True`), each path of `config_path` (comma-separated), each of
    `import_paths`. For a path P, `P/actions/**/*.py` and `P/actions.py` are imported and their
    members carrying `action_meta` registered. Files that fail to import are logged and kept in
    `import_errors` as (file, exception).

    Synchronous actions run on `threads` (an `ActionThreads`, created on first use), never on
    the event loop. Setting `threads = None` runs them in asyncio's default thread pool with
    `sync_in_thread=True` (the actions server sizes that pool), else on the loop itself
    (`limits: action_threads: 0`).

    Deadlines: `timeouts` (an object with `action`, `llm` and `actions`, like config.yml's
    `timeouts` section; None: no deadlines) gives each action its limit, see `limit_for`.
    """

    def __init__(self, load_all_actions: bool = True, config_path: Optional[str] = None,
                 import_paths: Optional[Sequence[str]] = None, *,
                 library_paths: Optional[Sequence[str]] = None,
                 core_modules: Iterable[str] = (), include_cwd: bool = False,
                 sync_in_thread: bool = False):
        self._actions: dict[str, _Entry] = {}
        self._aliases: Optional[dict[str, str]] = None  # alias -> name, built when needed
        self.import_errors: list[tuple[str, BaseException]] = []
        # Functions of action files that lack @action, by name: named in "not found" errors.
        self.undecorated: dict[str, str] = {}
        self.sync_in_thread = sync_in_thread
        self.threads: Any = _DEFAULT
        self.timeouts: Any = None
        if not load_all_actions:
            return
        for module_name in core_modules:
            self.load_actions_from_module(module_name)
        for path in library_paths or ():
            self.load_actions_from_path(Path(path), note_undecorated=False)
        if include_cwd:
            self.load_actions_from_path(Path.cwd())
        for path in (config_path or "").split(","):
            if path.strip():
                self.load_actions_from_path(Path(path.strip()))
        for path in import_paths or ():
            self.load_actions_from_path(Path(str(path).strip()))

    # -- discovery -------------------------------------------------------------------------

    def load_actions_from_path(self, path: Path, note_undecorated: bool = True) -> int:
        """Import `path/actions/**/*.py` and `path/actions.py`; returns how many actions were
        registered. Import errors are logged and appended to `import_errors`. The user's
        functions that lack `@action` are noted in `undecorated` (not the engine's own)."""
        count = 0
        for file in discovery.action_files(Path(path)):
            try:
                module = discovery.import_file(file)
            except Exception as error:  # user code: any exception is possible
                self._import_failed(str(file), error)
                continue
            count += self._register_module(module)
            if note_undecorated:
                for name in discovery.undecorated_functions(module):
                    self.undecorated.setdefault(name, str(file))
        return count

    def load_actions_from_module(self, module_name: str) -> int:
        """Register the actions of an importable module (e.g. the engine's own)."""
        try:
            module = discovery.import_module(module_name)
        except Exception as error:
            self._import_failed(module_name, error)
            return 0
        return self._register_module(module)

    def _register_module(self, module: Any) -> int:
        count = 0
        for name, member in discovery.module_actions(module):
            self._add(_Entry(name, member, member.action_meta))
            count += 1
        return count

    def _add(self, entry: _Entry) -> None:
        self._actions[entry.name] = entry
        self._aliases = None

    def _import_failed(self, where: str, error: BaseException) -> None:
        log.error("could not import actions from %s: %s: %s", where, type(error).__name__,
                  error, exc_info=error)
        self.import_errors.append((where, error))

    # -- registration ----------------------------------------------------------------------

    def register_action(self, action: Any, name: Optional[str] = None,
                        override: bool = True) -> None:
        """Register `action` (function, class, object with `run`, Runnable or Chain) under
        `name`, else its `action_meta` name, else its `__name__`. With `override=False` an
        existing action of that name is kept."""
        if isinstance(action, staticmethod):
            action = action.__func__
        meta = getattr(action, "action_meta", None)
        meta = meta if isinstance(meta, dict) else {}
        if name is None:
            name = meta.get("name") or getattr(action, "__name__", None)
        if not name:
            raise ActionError(f"cannot tell the name of action {action!r}: pass `name=`")
        if not override and name in self._actions:
            return
        if not any(callable(x) for x in (action, getattr(action, "run", None),
                                          getattr(action, "ainvoke", None))):
            raise ActionError(f"action '{name}' is not callable: {action!r}", action_name=name)
        self._add(_Entry(name, action, meta))

    def register_actions(self, actions_obj: Any, override: bool = True) -> None:
        """Register every attribute of `actions_obj` (object, class or module) that carries
        `action_meta`."""
        for attribute in dir(actions_obj):
            if attribute.startswith("__"):
                continue
            try:
                value = getattr(actions_obj, attribute)
            except Exception as error:  # a property that fails is not an action
                log.debug("skipped attribute %r of %r: %r", attribute, actions_obj, error)
                continue
            if isinstance(getattr(value, "action_meta", None), dict):
                self.register_action(value, override=override)

    # -- lookup ----------------------------------------------------------------------------

    def _entry(self, name: str) -> Optional[_Entry]:
        """By name; else by a simile (exact, then ignoring case); else by the reference's
        normalized name (`FetchWeatherAction` -> `fetch_weather`)."""
        entry = self._actions.get(name)
        if entry is None:
            aliases = self._aliases if self._aliases is not None else self._alias_index()
            target = aliases.get(name) or aliases.get(name.lower())
            if target is None:
                return self._actions.get(normalize_action_name(name))
            entry = self._actions.get(target)
        return entry

    def _alias_index(self) -> dict[str, str]:
        """Alias -> action name. A registered name is never shadowed by another action's
        alias; of two actions claiming one alias, the first registered keeps it."""
        index: dict[str, str] = {}
        for name, entry in self._actions.items():
            for alias in entry.similes:
                for key in (alias, alias.lower()):
                    if key not in self._actions and key not in index:
                        index[key] = name
        self._aliases = index
        return index

    def resolve(self, name: str) -> Optional[str]:
        """The registered name `name` stands for (itself, an action it is a simile of, or its
        normalized form), or None."""
        entry = self._entry(name)
        return entry.name if entry is not None else None

    def metadata(self, name: str) -> Optional[ActionMetadata]:
        """The action's normalized metadata (description, similes, examples, validate,
        parameters, hints), or None for an unknown name."""
        entry = self._entry(name)
        return entry.metadata if entry is not None else None

    def update_metadata(self, name: str, overrides: Mapping[str, Any],
                        where: str = "") -> None:
        """Apply metadata given outside the code (config.yml's `actions_metadata`); checked
        now, so a mistake names the action and the key."""
        entry = self._entry(name)
        if entry is None:
            raise ActionNotFoundError(self.not_found_message(name, where and f" ({where})"),
                                      action_name=name)
        merged = {**entry.meta, **entry.overrides, **overrides}
        normalize_metadata(entry.name, merged, entry.target, where=where)
        check_policy_keys(entry.name, merged)
        entry.overrides = {**entry.overrides, **overrides}
        entry.has_policy = bool(POLICY_KEYS.intersection(merged))
        entry._metadata = None
        self._aliases = None

    def decide(self, name: str, caller: str, identity: Any = None) -> Any:
        """The permission Decision (rails.policy) for `caller` running `name` as `identity`;
        not recorded. None for an unknown action."""
        entry = self._entry(name)
        if entry is None:
            return None
        return decide(entry.name, entry.metadata, entry.policy, caller, identity)

    def check_permission(self, name: str, caller: str, identity: Any = None,
                         confirmed: bool = False) -> Optional[PermissionDenied]:
        """Decide and record; the PermissionDenied to fail with, or None when allowed."""
        from rails.policy.audit import enforce

        decision = self.decide(name, caller, identity)
        return None if decision is None else enforce(decision, confirmed)

    def parameters_schema(self, name: str) -> Optional[dict]:
        """The JSON schema of the arguments a caller gives: the declared one, else the one
        derived from the callable's signature."""
        entry = self._entry(name)
        if entry is None:
            return None
        declared = entry.metadata.parameters
        if declared is not None:
            return declared
        schema = entry.schema
        if schema is None:
            from rails.actions.schema import parameters_schema

            schema = entry.schema = parameters_schema(entry.spec)  # (signatures stay)
        return schema

    def has(self, name: str) -> bool:
        return self._entry(name) is not None

    def get(self, name: str) -> Any:
        """The registered callable (a class becomes its instance once used), or None."""
        entry = self._entry(name)
        return entry.target if entry is not None else None

    def meta(self, name: str) -> dict:
        entry = self._entry(name)
        return dict(entry.meta) if entry is not None else {}

    def lookup(self, name: str) -> Optional[_Entry]:
        """The registered entry `name` resolves to (its `.spec`, `.meta`, `.name`), or None;
        for callers on the hot path that need several of its parts."""
        return self._actions.get(name) or self._entry(name)

    def spec(self, name: str) -> Optional[CallSpec]:
        entry = self._entry(name)
        return entry.spec if entry is not None else None

    def is_system_action(self, name: str) -> bool:
        entry = self._entry(name)
        return entry.is_system if entry is not None else False

    def names(self) -> list[str]:
        return sorted(self._actions)

    def closest(self, name: str) -> list[str]:
        return closest_names(name, self._actions)

    def undecorated_file(self, name: str) -> Optional[str]:
        """The action file defining `name` (or its normalized form) without `@action`."""
        return self.undecorated.get(name) or self.undecorated.get(normalize_action_name(name))

    def not_found_message(self, name: str, where: str = "") -> str:
        """Why `name` is not an action here: a near miss, or a function missing `@action`."""
        return not_found_message(name, self._actions, where, self.undecorated)

    # Names of the reference's dispatcher, so code written against it keeps working.
    has_registered = has
    get_action = get

    @property
    def registered_actions(self) -> dict[str, Any]:
        return {name: entry.target for name, entry in self._actions.items()}

    def get_registered_actions(self) -> list[str]:
        return list(self._actions)

    async def execute_action(self, action_name: str, params: dict) -> tuple[Any, str]:
        """The reference's call: `(result, status)`, no parameter injection."""
        outcome = await self.execute(action_name, params)
        return (outcome.raw if outcome.is_success else None), outcome.status

    # -- execution -------------------------------------------------------------------------

    async def execute(self, name: str, params: Optional[Mapping[str, Any]] = None, *,
                      context: Optional[Mapping[str, Any]] = None,
                      events: Optional[list] = None,
                      injected: Optional[Mapping[str, Any]] = None,
                      remote: Any = None, caller: Optional[str] = None,
                      identity: Any = None, confirmed: bool = False,
                      deadline: Optional[float] = None) -> ActionOutcome:
        """Run action `name` with the flow's `params` (spec §4.3).

        `context` resolves `$name` values and `__context__<var>` parameters and is injected as
        `context`; `events` is injected as `events`; any key of `injected` is passed to a
        callable naming it. Without `context`/`events` those are not injected (the actions
        server runs actions this way). `remote` (a `RemoteActionsClient`) runs non-system
        actions, and actions not registered here, on the actions server.

        `caller` (`flow`, `model`, `http`, `button`) turns on the permission check of
        `rails.policy` for `identity`; a flow's action with no permission keys is not checked
        (NeMo's behaviour). `confirmed`: the user confirmed it (destructive model choices).
        A denial is a failed outcome with `PermissionDenied`, recorded for `explain()`.

        `deadline` (the event loop's clock) is when the turn ends: the action is cancelled at
        the earlier of it and its own limit (`limit_for`), failing with ActionTimeoutError.

        Failures come back as `status="failed"` with the exception in `error`, whatever the
        action raised (SystemExit, KeyboardInterrupt and a CancelledError of its own included;
        those travel wrapped in an ActionError). `LLMCallError` propagates, except a model call
        that ran out of time. A cancellation from outside (a client that went away)
        propagates."""
        entry = self._actions.get(name)
        if entry is None:
            entry = self._entry(name)
            if entry is None:
                return await self._not_local(name, params, context, remote, deadline)
        if caller is not None and (caller != "flow" or entry.has_policy):
            if identity is None and context is not None:
                from rails.policy.identity import identity_from_context

                identity = identity_from_context(context)
            refused = self.check_permission(entry.name, caller, identity, confirmed)
            if refused is not None:
                return ActionOutcome("failed", error=refused)
        spec = entry._spec or entry.spec
        kwargs = dict(params) if params else {}
        if context is not None and caller != "model":
            # (the model's arguments are taken literally: `$secret` stays a string)
            for parameter in spec.context_params:
                kwargs[parameter] = context.get(parameter[_CONTEXT_PREFIX_LEN:])
            _resolve_references(kwargs, context)

        if remote is not None and not entry.is_system and spec.kind != CHAIN \
                and not entry.meta.get("runs_locally"):  # (e.g. an MCP server's tool)
            return await self._run_remote(name, kwargs, remote, known_locally=True,
                                          deadline=deadline)

        for parameter in spec.ordered:
            if parameter == "events":
                if events is not None:
                    kwargs["events"] = events
            elif parameter == "context":
                if context is not None:
                    kwargs["context"] = context
            elif injected is not None and parameter in injected:
                kwargs[parameter] = injected[parameter]
        if injected is not None and "llm" in kwargs:
            # A model registered as `<action>_llm` replaces the main one for that action.
            for key in (f"{name}_llm", f"{entry.name}_llm"):
                if key in injected:
                    kwargs["llm"] = injected[key]
                    break

        limit, setting = self.limit_for(entry)
        try:
            if params and "$1" in params:
                bind_positional(entry.name, kwargs, spec)
            kind = spec.kind
            if kind == CLASS:
                kind = self._instantiate(entry)
            threads = self.threads
            if threads is _DEFAULT:
                threads = self.threads = ActionThreads()
            work = callables.call(kind, entry.target, kwargs, spec=spec,
                                  in_thread=entry.in_thread or self.sync_in_thread,
                                  threads=threads)
            if limit is None and deadline is None:
                result = await work
            else:
                limit, setting = _earliest(limit, setting, deadline)
                try:
                    result = await bounded(work, limit)
                except Expired:
                    return ActionOutcome("failed", error=self._timed_out(
                        entry, limit, setting, not spec.is_async and kind in (
                            callables.FUNCTION, INSTANCE)))
            return _outcome(entry, result)
        except DeadlineExceededError as error:  # a model call inside ran out of time
            return ActionOutcome("failed", error=error)
        except LLMCallError:
            raise
        except RaisedBaseException as error:  # from a sync action's thread
            return ActionOutcome("failed", error=_wrapped_base_exception(entry.name,
                                                                         error.original))
        except Exception as error:
            log.debug("action '%s' failed", name, exc_info=error)
            return ActionOutcome("failed", error=error)
        except BaseException as error:
            return ActionOutcome("failed", error=_wrapped_base_exception(entry.name, error))

    def limit_for(self, entry_or_name: Any) -> tuple[Optional[float], str]:
        """An action's time limit in seconds (None: none) and the setting it comes from:
        `timeouts.actions.<name>`, else `@action(timeout=...)`, else `timeouts.action`, or
        `timeouts.llm` when that is longer and the action takes a model."""
        entry = (entry_or_name if isinstance(entry_or_name, _Entry)
                 else self._entry(entry_or_name))
        timeouts = self.timeouts
        name = entry.name if entry is not None else str(entry_or_name)
        if timeouts is not None and timeouts.actions:
            for key in (name, normalize_action_name(name)):
                if key in timeouts.actions:
                    return timeouts.actions[key], f"timeouts.actions.{key}"
        if entry is None:  # an action only the actions server knows
            if timeouts is None:
                return None, ""
            return timeouts.action, "timeouts.action"
        own = entry.meta.get("timeout")
        if own is not None:  # (infinite: only the turn's deadline)
            return (own if own != _INFINITY else None), "@action(timeout=...)"
        if timeouts is None:
            return None, ""
        limit, setting = timeouts.action, "timeouts.action"
        if entry.takes_model and timeouts.llm is not None and (
                limit is None or timeouts.llm > limit):
            limit, setting = timeouts.llm, "timeouts.llm"
        return limit, setting

    def _timed_out(self, entry: _Entry, limit: float, setting: str,
                   on_thread: bool) -> ActionTimeoutError:
        if setting == "timeouts.turn":
            message = (f"the turn ran out of time ({setting}) while action '{entry.name}' "
                       "was running; the action was cancelled")
        else:
            message = (f"action '{entry.name}' did not finish within {limit:g} s ({setting}); "
                       "it was cancelled")
        if on_thread:
            threads = self.threads
            message += (": a synchronous action cannot be stopped, so its thread runs on "
                        "in the background until the function returns")
            if threads is not None and threads.busy >= threads.size:
                message += (f" (all {threads.size} action threads are busy: waiting for "
                            "one counted against the deadline; see limits.action_threads)")
        return ActionTimeoutError(message, action_name=entry.name, limit=limit,
                                  setting=setting)

    def _instantiate(self, entry: _Entry) -> str:
        """A class action becomes its (single) instance on first use. A constructor that
        raises leaves the class in place, so the next call tries again."""
        instance = entry.target()
        entry.target, entry._spec = instance, replace(entry.spec, kind=INSTANCE)
        return INSTANCE

    async def _not_local(self, name: str, params: Optional[Mapping[str, Any]],
                         context: Optional[Mapping[str, Any]], remote: Any,
                         deadline: Optional[float] = None) -> ActionOutcome:
        if remote is None:
            return ActionOutcome("failed", error=ActionNotFoundError(
                self.not_found_message(name), action_name=name))
        kwargs = dict(params) if params else {}
        if context is not None:
            _resolve_references(kwargs, context)
        return await self._run_remote(name, kwargs, remote, known_locally=False,
                                      deadline=deadline)

    async def _run_remote(self, name: str, kwargs: dict, remote: Any,
                          known_locally: bool,
                          deadline: Optional[float] = None) -> ActionOutcome:
        limit, setting = self.limit_for(name)
        limit, setting = _earliest(limit, setting, deadline)
        try:
            result = await bounded(remote.run(name, kwargs), limit)
        except Expired:
            where = f" on the actions server {getattr(remote, 'url', '')}".rstrip()
            subject = (f"the turn ran out of time ({setting}) while action '{name}' was running"
                       f"{where}" if setting == "timeouts.turn" else
                       f"action '{name}'{where} did not finish within {limit:g} s ({setting})")
            return ActionOutcome("failed", error=ActionTimeoutError(
                subject + "; the call was cancelled", action_name=name, limit=limit,
                setting=setting), remote=True)
        except RemoteActionError as error:
            if not known_locally and error.status == 404:
                where = f" here nor on the actions server {error.url}"
                missing = ActionNotFoundError(self.not_found_message(name, where),
                                              action_name=name)
                missing.__cause__ = error
                return ActionOutcome("failed", error=missing, remote=True)
            return ActionOutcome("failed", error=error, remote=True)
        except LLMCallError:
            raise
        except Exception as error:
            return ActionOutcome("failed", error=error, remote=True)
        except BaseException as error:
            return ActionOutcome("failed", error=_wrapped_base_exception(name, error),
                                 remote=True)
        entry = self._entry(name)
        try:
            outcome = _outcome(entry, result) if entry is not None else _plain_outcome(result)
        except ActionError as error:
            return ActionOutcome("failed", error=error, remote=True)
        outcome.remote = True
        return outcome


def _earliest(limit: Optional[float], setting: str,
              deadline: Optional[float]) -> tuple[Optional[float], str]:
    """The action's own limit, or what is left of the turn when that comes first."""
    if deadline is None:
        return limit, setting
    import asyncio

    left = deadline - asyncio.get_running_loop().time()
    if limit is None or left < limit:
        return max(left, 0.0), "timeouts.turn"
    return limit, setting


def _wrapped_base_exception(name: str, error: BaseException) -> BaseException:
    """What an action raised that is not an Exception, as that action's failure; nothing
    downstream (the sync API's loop thread, the server) ever sees a SystemExit. An outside
    cancellation and a planned end of the turn (TurnControl) are not failures of the action
    and propagate."""
    import asyncio

    if isinstance(error, TurnControl) or (isinstance(error, asyncio.CancelledError)
                                          and cancelled_from_outside()):
        raise error
    wrapped = ActionError(f"action '{name}' raised {type(error).__name__}"
                          + (f": {error}" if str(error) else "")
                          + " (treated as the action's failure)", action_name=name)
    wrapped.__cause__ = error
    return wrapped


def _resolve_references(kwargs: dict, context: Mapping[str, Any]) -> None:
    """`"$name"` values become `context[name]` when `name` is a top-level context key; anything
    else (unknown names, `$a.b`, `$a[0]`) is passed literally, as the reference does."""
    for key, value in kwargs.items():
        if isinstance(value, str) and value[:1] == "$":
            variable = value[1:]
            if variable in context:
                kwargs[key] = context[variable]


def _plain_outcome(result: Any) -> ActionOutcome:
    if isinstance(result, ActionResult):
        return ActionOutcome("success", result.return_value, result.events,
                             dict(result.context_updates or {}), raw=result)
    return ActionOutcome("success", result, None, {}, raw=result)


def _outcome(entry: _Entry, result: Any) -> ActionOutcome:
    outcome = _plain_outcome(result)
    mapping = entry.meta.get("output_mapping")
    if mapping is not None:
        try:
            outcome.blocked = bool(mapping(outcome.return_value))
        except Exception as error:
            raise ActionError(f"the output_mapping of action '{entry.name}' failed on "
                              f"{outcome.return_value!r}: {error}",
                              action_name=entry.name) from error
    return outcome
