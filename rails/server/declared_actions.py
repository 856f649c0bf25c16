"""The actions server's routes for organisations' declared actions (seed 002).

Every request names its organisation in the `X-Org-Id` header; an organisation sees, changes
and runs only its own actions (another's are 404 to it).

- `POST /v1/actions` a declaration -> 201 with it (defaults filled in); 409 when the name
  exists; 422 naming the field when it is wrong.
- `GET /v1/actions` -> `{"actions": [...]}`; `GET /v1/actions/{name}` -> the declaration;
  `PUT /v1/actions/{name}` creates (201) or replaces (200); `DELETE` -> 204.
- `POST /v1/actions/run` with `X-Org-Id` runs, for that organisation:
  `{"action_name", "action_parameters"}` (one action, the wire format of the server),
  a workflow step `{"type", "properties", "outputKey"}`, a list of steps, or
  `{"input": {...}, "steps": [...]}`; `@input.x` and `@<outputKey>` values are resolved
  against the input and earlier outputs. An organisation's own action wins over a server
  action (the served configs' Python and declared actions) of the same name.
  -> `{"status": "success", "result": <last output>, "outputs": {outputKey: value},
  "steps": [{"type", "outputKey", "result"}], "usage": {"llm_calls", "prompt_tokens",
  "completion_tokens", "total_tokens"}}` (one action: `status`, `result`, `usage`). Each
  model call is logged with the organisation, task (`llm_action:<name>`), model and tokens.

Every action a run reaches, each step's included, is checked by `rails.policy` as the caller
`http` for the request's user (`X-Org-Id`, `X-User-Id`, `X-User-Roles`) before it runs: a
declared action's own `roles` / `callers`, a server action's `@action(...)` keys and
`actions_metadata`. A refused step stops the run there (earlier steps have run).

Failures are `{"status": "failed", "error": {"type", "message", "field"?, "step"?}}`: 400
(no or bad X-Org-Id, not JSON), 403 (`PermissionDenied`, with `action`, `caller`, `rule`),
404, 409, 413, 422 (a field, a placeholder without a value, an unknown model, a bad step),
502 (the model failed or did not give the JSON asked for), 504 (a timeout)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Optional

from rails.actions.declared.errors import (ActionInputError, ActionOutputError,
                                           DeclarationError, DuplicateActionError,
                                           LLMTimeoutError, UnknownModelError, WorkflowError)
from rails.actions.declared.models import resolve_model
from rails.actions.declared.registry import DeclaredActionRegistry
from rails.actions.declared.store import check_org_id
from rails.actions.declared.workflow import parse_steps, resolve
from rails.errors import ActionNotFoundError, LLMCallError
from rails.policy.audit import enforce
from rails.policy.rules import PermissionDenied
from rails.server.actions_server import _denied, _read_body, _Refusal, request_identity

log = logging.getLogger("rails.actions_server")

ORG_HEADER = "x-org-id"


class DeclaredActionsAPI:
    """`routes()` for the declared actions; `run(request)` answers `POST /v1/actions/run`
    requests that carry `X-Org-Id`. `authorize(request)` raises a `_Refusal` (the server's
    token check); `failure(refusal)` renders one."""

    def __init__(self, registry: DeclaredActionRegistry, dispatcher: Any, *,
                 authorize: Callable[[Any], None], failure: Callable[[_Refusal], Any],
                 max_body: int, timeout: float):
        self.registry, self.dispatcher = registry, dispatcher
        self.authorize, self.failure = authorize, failure
        self.max_body, self.timeout = max_body, timeout

    def routes(self) -> list:
        from starlette.routing import Route

        return [
            Route("/v1/actions", self._guarded(self.create), methods=["POST"]),
            Route("/v1/actions", self._guarded(self.list), methods=["GET"]),
            Route("/v1/actions/{name}", self._guarded(self.get), methods=["GET"]),
            Route("/v1/actions/{name}", self._guarded(self.put), methods=["PUT"]),
            Route("/v1/actions/{name}", self._guarded(self.delete), methods=["DELETE"]),
        ]

    def _guarded(self, handler: Callable) -> Callable:
        async def endpoint(request: Any) -> Any:
            try:
                self.authorize(request)
                return await handler(request, _organisation(request))
            except _Refusal as refusal:
                return self.failure(refusal)
            except (DeclarationError, DuplicateActionError, WorkflowError) as error:
                return self.failure(_refusal_for(error))
        endpoint.__name__ = handler.__name__
        return endpoint

    async def run(self, request: Any) -> Any:
        return await self._guarded(self._run)(request)

    # -- declarations ----------------------------------------------------------------------

    async def create(self, request: Any, org: str) -> Any:
        action = await self.registry.create(org, await self._json(request))
        return _json(action.declaration.to_dict(), 201)

    async def list(self, request: Any, org: str) -> Any:
        actions = await self.registry.list(org)
        return _json({"actions": [action.declaration.to_dict() for action in actions]})

    async def get(self, request: Any, org: str) -> Any:
        name = request.path_params["name"]
        action = await self.registry.get(org, name)
        if action is None:
            raise _missing(name)
        return _json(action.declaration.to_dict())

    async def put(self, request: Any, org: str) -> Any:
        action, created = await self.registry.put(org, request.path_params["name"],
                                                  await self._json(request))
        return _json(action.declaration.to_dict(), 201 if created else 200)

    async def delete(self, request: Any, org: str) -> Any:
        from starlette.responses import Response

        name = request.path_params["name"]
        if not await self.registry.delete(org, name):
            raise _missing(name)
        return Response(status_code=204)

    # -- running ---------------------------------------------------------------------------

    async def _run(self, request: Any, org: str) -> Any:
        """Runs the body's action or steps with their model calls recorded: each is logged
        (organisation, task, model, tokens, time) and the answer carries their `usage`."""
        from rails.llm.call import LLMCallLog, current_call_log

        calls = LLMCallLog()
        token = current_call_log.set(calls)
        try:
            body = await self._run_body(await self._json(request), org,
                                        request_identity(request))
        finally:
            current_call_log.reset(token)
            for call in calls.calls:
                log.info("org %s: %s on %s: %s prompt + %s completion tokens, %.2fs", org,
                         call.task, call.llm_model_name, call.prompt_tokens,
                         call.completion_tokens, call.duration or 0.0)
        body["usage"] = {
            "llm_calls": len(calls.calls),
            **{key: sum(getattr(call, key) or 0 for call in calls.calls)
               for key in ("prompt_tokens", "completion_tokens", "total_tokens")}}
        return _json(body)

    async def _run_body(self, payload: Any, org: str, identity: Any) -> dict:
        if isinstance(payload, dict) and "action_name" in payload:
            name, values = _single_action(payload)
            value, _ = await self._run_step(org, name, values, None, identity)
            return {"status": "success", "result": value}
        source: Any = payload
        scope: dict[str, Any] = {}
        if isinstance(payload, dict) and ("steps" in payload or "type" in payload):
            payload = dict(payload)
            given = payload.pop("input", None)
            if given is not None and not isinstance(given, dict):
                raise WorkflowError("`input` must be an object", field="input")
            scope["input"] = given or {}
            source = payload.pop("steps") if "steps" in payload else payload
            if "type" not in payload and payload:
                raise WorkflowError(f"unknown field '{next(iter(payload))}' (a run has "
                                    "input and steps)", field=next(iter(payload)))
        elif not isinstance(payload, list):
            raise WorkflowError("the body must be {\"action_name\", \"action_parameters\"}, "
                                "a step {\"type\", \"properties\", \"outputKey\"}, a list of "
                                "steps or {\"input\", \"steps\"}")
        steps = parse_steps(source)
        outputs: dict[str, Any] = {}
        done: list[dict] = []
        value = None
        for index, step in enumerate(steps):
            values = {key: resolve(item, {**scope, **outputs}, step=index, field=key)
                      for key, item in step.properties.items()}
            value, default_key = await self._run_step(org, step.type, values, index, identity)
            key = step.output_key or default_key
            if key:
                outputs[key] = value
            done.append({"type": step.type, "outputKey": key, "result": value})
        return {"status": "success", "result": value, "outputs": outputs, "steps": done}

    async def _run_step(self, org: str, name: str, values: dict, step: Optional[int],
                        identity: Any) -> tuple[Any, Optional[str]]:
        """The value of running `name` as `identity` and the output key it declares."""
        try:
            action = await self.registry.get(org, name)
            if action is not None:
                refused = enforce(action.decide("http", identity))
                if refused is not None:
                    raise refused
                model = resolve_model(action.name, action.declaration.model, action.models)
                result = await asyncio.wait_for(action.complete(values, llm=model),
                                                self.timeout)
                return result.value, action.output_key
            return await asyncio.wait_for(self._run_served(name, values, identity),
                                          self.timeout)
        except asyncio.TimeoutError:
            log.error("action '%s' timed out after %gs", name, self.timeout)
            raise _with_step(_Refusal(504, "ActionTimeout", f"action '{name}' did not finish "
                                                            f"within {self.timeout:g}s"),
                             step, name) from None
        except _Refusal as refusal:
            raise _with_step(refusal, step, name) from None
        except Exception as error:
            refusal = _refusal_for(error)
            if refusal.status >= 500:
                log.error("action '%s' failed", name, exc_info=error)
            raise _with_step(refusal, step, name) from None

    async def _run_served(self, name: str, values: dict,
                          identity: Any) -> tuple[Any, Optional[str]]:
        dispatcher = self.dispatcher
        if not dispatcher.has(name):
            raise _missing(name)
        refused = dispatcher.check_permission(name, "http", identity)
        if refused is not None:
            raise refused
        from rails.server.actions_server import parameter_problem

        problem = parameter_problem(name, dispatcher.spec(name), values)
        if problem:
            raise _Refusal(422, "InvalidParameters", problem)
        outcome = await dispatcher.execute(name, values)
        if not outcome.is_success:
            raise outcome.error or RuntimeError(f"action '{name}' failed")
        target = dispatcher.get(name)
        return outcome.return_value, getattr(target, "output_key", None)

    async def _json(self, request: Any) -> Any:
        from rails.server.json_limits import BodyError, parse_json

        body = await _read_body(request, self.max_body)
        try:
            return parse_json(body)
        except BodyError as error:
            raise _Refusal(400, "BadRequest", str(error)) from None


def _organisation(request: Any) -> str:
    org = request.headers.get(ORG_HEADER)
    if org is None:
        raise _Refusal(400, "MissingOrganisation",
                       "the X-Org-Id header is required: declared actions belong to an "
                       "organisation")
    problem = check_org_id(org)
    if problem:
        raise _Refusal(400, "BadOrganisation", f"the X-Org-Id header {problem}")
    return org


def _single_action(payload: dict) -> tuple[str, dict]:
    name = payload.get("action_name")
    if not isinstance(name, str) or not name.strip():
        raise WorkflowError("`action_name` must be a non-empty string", field="action_name")
    values = payload.get("action_parameters") or {}
    if not isinstance(values, dict):
        raise WorkflowError("`action_parameters` must be an object",
                            field="action_parameters")
    return name, values


def _missing(name: str) -> _Refusal:
    return _Refusal(404, "ActionNotFound", f"no action '{name}' for this organisation")


def _refusal_for(error: BaseException) -> _Refusal:
    if isinstance(error, DeclarationError):
        refusal = _Refusal(422, "InvalidDeclaration", str(error))
        refusal.extra = {"field": error.field,
                         "problems": [{"field": f, "message": m} for f, m in error.problems]}
    elif isinstance(error, DuplicateActionError):
        refusal = _Refusal(409, "DuplicateAction", str(error))
    elif isinstance(error, WorkflowError):
        refusal = _Refusal(422, "InvalidWorkflow", str(error))
        refusal.extra = {key: value for key, value in (("field", error.field),
                                                       ("step", error.step)) if value is not None}
    elif isinstance(error, ActionInputError):
        refusal = _Refusal(422, "InvalidParameters", str(error))
        refusal.extra = {"field": error.parameter} if error.parameter else {}
    elif isinstance(error, UnknownModelError):
        refusal = _Refusal(422, "UnknownModel", str(error))
        refusal.extra = {"field": "model"}
    elif isinstance(error, PermissionDenied):
        refusal = _denied(error)
    elif isinstance(error, ActionNotFoundError):
        refusal = _Refusal(404, "ActionNotFound", str(error))
    elif isinstance(error, ActionOutputError):
        refusal = _Refusal(502, "InvalidModelOutput", str(error))
    elif isinstance(error, LLMTimeoutError):
        refusal = _Refusal(504, "ModelTimeout", str(error))
    elif isinstance(error, LLMCallError):
        refusal = _Refusal(502, "LLMCallFailed", str(error))
    else:
        refusal = _Refusal(500, type(error).__name__, str(error) or repr(error))
    return refusal


def _with_step(refusal: _Refusal, step: Optional[int], name: str) -> _Refusal:
    if step is not None:
        extra = dict(getattr(refusal, "extra", None) or {})
        extra.setdefault("step", step)
        extra.setdefault("action_name", name)
        refusal.extra = extra
        if not refusal.message.startswith("step "):
            refusal.message = f"step {step} ({name}): {refusal.message}"
    return refusal


def _json(data: Any, status: int = 200) -> Any:
    from starlette.responses import JSONResponse

    return JSONResponse(data, status_code=status)


def load_served_models(dispatcher: Any, config_paths: list[str]) -> dict[str, Any]:
    """The models of the served config folders (name -> model, by type and model name; the
    first folder that defines a name wins), with each folder's `declared_actions` registered
    in `dispatcher` to run with them and its `actions_metadata` applied. Folders without YAML
    (only actions.py) have none.
    Raises ConfigError for a broken config or an action naming an unknown model."""
    from pathlib import Path

    from rails.actions.declared.models import configured_models
    from rails.actions.declared.registration import check_models, register_config_actions
    from rails.config import RailsConfig
    from rails.llm.models import create_llm

    models: dict[str, Any] = {}
    for path in config_paths:
        folder = Path(path)
        if not any(folder.glob("*.yml")) and not any(folder.glob("*.yaml")):
            continue
        config = RailsConfig.from_path(str(folder))
        llms = {entry.type: create_llm(entry) for entry in config.models or []
                if entry.type != "embeddings"}
        for name, model in configured_models(llms, config.models).items():
            models.setdefault(name, model)
        actions = register_config_actions(dispatcher, config, models)
        check_models(actions, config, llms)
        _apply_actions_metadata(dispatcher, config, folder)
    return models


def _apply_actions_metadata(dispatcher: Any, config: Any, folder: Any) -> None:
    """The folder's `actions_metadata` (descriptions, permissions, ...) onto the served
    actions, so `roles` / `callers` given there restrict runs here too. A name the server
    does not serve (an action of the engine's own) is skipped with a warning."""
    from rails.errors import ConfigError

    for name, overrides in (config.actions_metadata or {}).items():
        if not dispatcher.has(name):
            log.warning("%s: actions_metadata names '%s', which this server does not serve",
                        folder, name)
            continue
        try:
            dispatcher.update_metadata(name, overrides or {}, where="actions_metadata")
        except ConfigError as error:
            raise ConfigError(error.message, file=config.config_path,
                              key=f"actions_metadata.{error.key or name}") from error


def default_actions_db(config_paths: list[str]) -> str:
    """Stable across restarts and reboots for the same served folders, and outside them
    (config folders are often read-only or under version control)."""
    import hashlib
    import os
    from pathlib import Path

    key = ",".join(str(Path(p).resolve()) for p in config_paths) or str(Path.cwd())
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local",
                                                                 "share")
    return os.path.join(data_home, "dialog-rails", f"declared-actions-{digest}.sqlite3")
