"""Builds the parts of an LLMRails from a RailsConfig (spec §5.6): flows, actions, models,
prompts, indexes and the runtime."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rails.errors import ConfigError
from rails.library import LIBRARY_DIR, library_documents
from rails.runtime import Runtime
from rails.runtime.runtime import DEFAULT_FALLBACK

# Our own actions that flows rely on (create_event, ...).
CORE_ACTION_MODULES = ("rails.library.core_actions", "rails.interaction.colang_actions")


@dataclass
class Parts:
    config: Any
    llm: Any
    llms: dict
    task_manager: Any
    dispatcher: Any
    runtime: Runtime
    generation: Any
    action_params: dict
    search_providers: dict
    new_index: Callable[[Any], Any]  # settings -> a search index from the providers known now
    config_modules: list = field(default_factory=list)
    choice: Any = None  # rails.actions.choice.actions.ChoiceActions
    # actions_metadata of actions that appear on first use (MCP servers' tools)
    pending_metadata: dict = field(default_factory=dict)

    @property
    def kb(self) -> Any:
        return self.action_params.get("kb")

    async def prepare(self) -> None:
        """Work that needs a running loop, done on first use (after config.py's `init(app)`
        had the chance to register providers): the knowledge base and the search indexes."""
        if self.config.docs and self.kb is None:
            from rails.index import KnowledgeBase

            settings = self.config.knowledge_base.embedding_search_provider
            kb = KnowledgeBase(self.config.docs, self.new_index(settings))
            await kb.build()
            self.action_params["kb"] = kb
        await self.generation.init()
        if self.config.tool_use.mcp_servers:
            from rails.actions.mcp_client import register_mcp_servers

            await register_mcp_servers(self.dispatcher, self.config.tool_use.mcp_servers)
            pending, self.pending_metadata = self.pending_metadata, {}
            _apply_metadata(self.config, self.dispatcher, pending, final=True)


def assemble(config: Any, llm: Any = None) -> Parts:
    from rails.llm.generation import LLMGenerationActions
    from rails.llm.taskmanager import LLMTaskManager

    flows, system_flow_ids = _all_flows(config)
    rail_ids = _rail_flow_ids(config)
    _validate_rails(config, flows)

    config_modules = _load_config_modules(config)

    dispatcher = new_dispatcher(config)
    if dispatcher.import_errors:  # a broken actions file would only show up as missing actions
        file, error = dispatcher.import_errors[0]
        raise ConfigError(f"importing it failed: {type(error).__name__}: {error}",
                          file=file) from error

    main_llm, llms = _models(config, llm)
    task_manager = LLMTaskManager(config)
    action_params: dict = {"config": config, "llm_task_manager": task_manager,
                           "llm": main_llm, "llms": llms, "kb": None}
    for model_type, model in llms.items():
        if model_type != "main":
            action_params[f"{model_type}_llm"] = model

    search_providers: dict = {}
    embeddings_model = next((m for m in config.models or [] if m.type == "embeddings"), None)

    def new_index(settings: Any) -> Any:
        from rails.index import create_search_provider

        return create_search_provider(settings, search_providers, embeddings_model)

    generation = LLMGenerationActions(
        config=config, llm=main_llm, task_manager=task_manager,
        search_registry=search_providers, get_kb=lambda: action_params["kb"],
        system_flow_ids=system_flow_ids | rail_ids,
        index_factory=lambda: new_index(config.core.embedding_search_provider))
    dispatcher.register_actions(generation, override=False)
    if config.declared_actions:
        from rails.actions.declared.registration import check_models, register_config_actions

        check_models(register_config_actions(dispatcher, config), config, llms)
    remote = _remote_client(config)
    choice = _choice_actions(config, dispatcher, action_params, remote, generation)
    pending_metadata = _apply_metadata(config, dispatcher)
    if config.tool_use.mode == "fallback" and "generate next step" not in {
            flow["id"] for flow in config.flows or []}:
        from rails.actions.choice.actions import FALLBACK_FLOW
        from rails.lang import parse

        flows = list(parse(FALLBACK_FLOW, "<tool_use.mode: fallback>").flows) + flows
    _bound_actions(dispatcher, config)

    runtime = Runtime(
        config, dispatcher, flows,
        subflow_ids=rail_ids, injected=action_params,
        remote=remote,
        fallback_message=config.errors.fallback_message or DEFAULT_FALLBACK,
        propagate_errors=config.errors.propagate)

    return Parts(config=config, llm=main_llm, llms=llms, task_manager=task_manager,
                 dispatcher=dispatcher, runtime=runtime, generation=generation,
                 action_params=action_params, search_providers=search_providers,
                 new_index=new_index, config_modules=config_modules, choice=choice,
                 pending_metadata=pending_metadata)


def _choice_actions(config: Any, dispatcher: Any, action_params: dict, remote: Any,
                    generation: Any) -> Any:
    """`choose_action` (the model chooses actions), and in `tool_use.mode: fallback` the
    general-mode answer made by it."""
    from rails.actions.choice.actions import ChoiceActions, general_instructions

    choice = ChoiceActions(dispatcher, config.tool_use, lambda: action_params.get("llm"),
                           action_params, remote, general_instructions(config))
    dispatcher.register_actions(choice, override=False)
    if config.tool_use.mode == "fallback":
        async def general_responder(events: list, context: dict) -> str:
            result = await choice.choose(context, events=events,
                                         state=action_params.get("state"))
            return result.text

        generation.general_responder = general_responder
    return choice


def _apply_metadata(config: Any, dispatcher: Any, entries: dict | None = None,
                    final: bool = False) -> dict:
    """config.yml's `actions_metadata` onto the registered actions; a name nothing defines
    is an error (unless an actions server may define it). With MCP servers configured, names
    not known yet are returned, to be applied once their tools are listed (`final`)."""
    import logging

    from rails.errors import ActionNotFoundError

    pending: dict = {}
    later = bool(config.tool_use.mcp_servers) and not final
    for name, overrides in (entries if entries is not None
                            else config.actions_metadata or {}).items():
        try:
            dispatcher.update_metadata(name, overrides or {}, where="actions_metadata")
        except ActionNotFoundError as error:
            if later:
                pending[name] = overrides
            elif not config.actions_server_url:
                raise ConfigError(str(error), file=config.config_path,
                                  key=f"actions_metadata.{name}") from error
            else:
                logging.getLogger("rails").warning("actions_metadata: %s", error)
        except ConfigError as error:
            raise ConfigError(error.message, file=config.config_path,
                              key=f"actions_metadata.{error.key or name}") from error
    return pending


def new_dispatcher(config: Any) -> Any:
    """The config's action registry: the engine's core and library actions, then those of the
    config folder and its imports (the generation actions join when LLMRails is built)."""
    from rails.actions import ActionDispatcher

    return ActionDispatcher(
        load_all_actions=True,
        config_path=config.config_path,
        import_paths=[str(p) for p in (config.imported_paths or {}).values()],
        library_paths=[str(path.parent) for path in sorted(LIBRARY_DIR.rglob("actions.py"))],
        core_modules=CORE_ACTION_MODULES,
    )


def _bound_actions(dispatcher: Any, config: Any) -> None:
    """Deadlines from `timeouts`; synchronous actions on a pool of `limits.action_threads`."""
    from rails.actions.threads import ActionThreads

    dispatcher.timeouts = config.timeouts
    size = config.limits.action_threads
    dispatcher.threads = ActionThreads(size) if size else None


def _all_flows(config: Any) -> tuple[list[dict], set[str]]:
    """User flows first, then the built-in ones; the first flow per id wins, so a user flow
    overrides a built-in flow of the same id. Library bot messages fill in what the user did
    not define."""
    flows = list(config.flows or [])
    system_ids: set[str] = set()
    for document in library_documents():
        for flow in document.flows:
            flows.append(flow)
            system_ids.add(flow["id"])
        for name, variants in document.bot_messages.items():
            config.bot_messages.setdefault(name, list(variants))
    user_ids = {flow["id"] for flow in config.flows or []}
    return flows, system_ids - user_ids


def _rail_flow_ids(config: Any) -> set[str]:
    """Flows named as input/output/retrieval rails only run when the rail loop calls them."""
    ids: set[str] = set()
    rails = config.rails
    for kind in (rails.input, rails.output, rails.retrieval):
        for name in kind.flows or []:
            ids.add(name.split("$", 1)[0].strip())
    return ids


def _validate_rails(config: Any, flows: list[dict]) -> None:
    from rails.config import validate_rail_flows

    validate_rail_flows(config, {flow["id"] for flow in flows})


def _load_config_modules(config: Any) -> list:
    from rails.config.python import load_config_module

    modules = []
    paths = [p for p in (config.config_path or "").split(",") if p]
    paths += [str(p) for p in (config.imported_paths or {}).values()]
    for path in paths:
        module = load_config_module(Path(path))
        if module is not None:
            modules.append(module)
    return modules


def _models(config: Any, llm: Any) -> tuple[Any, dict]:
    """The main model (the one passed in wins) and every other configured model by type."""
    from rails.llm.models import create_llm

    llms: dict = {}
    for model in config.models or []:
        if model.type == "embeddings":
            continue
        if model.type == "main" and llm is not None:
            continue
        llms[model.type] = create_llm(model)
    if llm is not None:
        llms["main"] = llm
    return llms.get("main"), llms


def _remote_client(config: Any) -> Any:
    if not config.actions_server_url:
        return None
    from rails.actions.remote import RemoteActionsClient

    settings = config.actions_server
    return RemoteActionsClient(
        config.actions_server_url, token=settings.effective_token(),
        connect_timeout=settings.connect_timeout, timeout=settings.timeout,
        retries=settings.retries)
