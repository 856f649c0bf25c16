"""RailsConfig: everything a config folder says, as one validated object (spec §5)."""
from __future__ import annotations

from typing import Any, Optional

from rails.config.defaults import (DEFAULT_GENERAL_INSTRUCTIONS, DEFAULT_LOWEST_TEMPERATURE,
                                   DEFAULT_PROMPTING_MODE, DEFAULT_SAMPLE_CONVERSATION,
                                   SUPPORTED_COLANG_VERSIONS)
from rails.config.models import (ActionsServerConfig, CoreConfig, Document, ErrorsConfig,
                                 InteractionConfig, Instruction, KnowledgeBaseConfig,
                                 LimitsConfig, Model, Rails, TaskPrompt, TimeoutsConfig,
                                 TracingConfig)
from rails.config.problems import config_error
from rails.config.schema import StrictSection, ValidationError, field
from rails.config.tool_use import ToolUseConfig
from rails.config.unknown_keys import warn_unknown_keys
from rails.errors import ConfigError

# Rails that only work with a prompt for their task in `prompts` (spec §5.3, end).
# (rail kind, flow id) -> accepted task names.
PROMPTED_RAILS: dict[tuple[str, str], tuple[str, ...]] = {
    ("input", "self check input"): ("self_check_input",),
    ("input", "llama guard check input"): ("llama_guard_check_input",),
    ("output", "self check output"): ("self_check_output",),
    ("output", "llama guard check output"): ("llama_guard_check_output",),
    ("output", "self check facts"): ("self_check_facts", "fact_checking"),
    ("output", "patronus lynx check output hallucination"):
        ("patronus_lynx_check_output_hallucination",),
}


def _default_instructions() -> list[Instruction]:
    return [Instruction(type="general", content=DEFAULT_GENERAL_INSTRUCTIONS)]


def _known_colang_version(value: Any) -> str:
    text = str(value).strip()
    if text in ("1", "1.0"):
        return "1.0"
    if text.startswith("2") or text == "1.1":  # 1.1 was the early name of 2.x
        raise ValueError(
            f"Colang 2.x is not supported yet (colang_version: {value!r}); this engine runs "
            "Colang 1.0 configs: remove the key or set it to \"1.0\"")
    raise ValueError(f"unknown Colang version {value!r}; accepted values: "
                     + ", ".join(f'"{v}"' for v in SUPPORTED_COLANG_VERSIONS))


class RailsConfig(StrictSection):
    """A whole rails configuration, with NeMo Guardrails' field names and defaults.

    Load one with `RailsConfig.from_path(folder)`, `RailsConfig.from_content(...)` or
    `RailsConfig.parse_object(dict)`; `a + b` combines two. Attributes can be changed after
    loading (`config.rails.dialog.single_call.enabled = True`) and are validated when set.

    Unknown top-level keys are rejected (NeMo silently drops most of them). Keys NeMo accepts
    but this engine does not use (`raw_llm_call_action`, top-level
    `sensitive_data_detection`, `embedding_search_provider`, ...) are accepted and kept.

    dialog-rails extensions (both optional):
    - `actions_server: {token, connect_timeout: 2.0, timeout: 30.0, retries: 2}` for the client
      of `actions_server_url`; the token falls back to the environment variable
      `DIALOG_RAILS_ACTIONS_TOKEN`, read when the client is created.
    - `errors: {fallback_message: "I'm sorry, an internal error has occurred.", propagate:
      false}`: the answer given when a turn fails, or raise instead.
    - `actions_metadata: {ACTION: {description, similes, examples, validate, parameters,
      read_only, destructive, idempotent, open_world}}` (see `rails.actions.metadata`).
    - `declared_actions: [{action_name, kind: llm, template, ...}]`: LLM-template actions
      (`rails.actions.declared`); lists of several YAML files are concatenated.
    - `timeouts: {action: 30, llm: 60, turn: 120, actions: {name: seconds}}`: deadlines.
    - `limits: {action_threads: 8, value_size: 10000000}`: threads for sync actions, the
      largest value an expression or a bot message may build.
    - `interaction: {question_timeout: 300, buttons: {...}, toolbar: [...], confirm: {...}}`:
      interactive actions (docs/interactive-actions.md).
    """

    models: list[Model] = field(default_factory=list)
    user_messages: dict[str, list[str]] = field(default_factory=dict)
    bot_messages: dict[str, list[str]] = field(default_factory=dict)
    flows: list[Any] = field(default_factory=list)
    instructions: Optional[list[Instruction]] = field(default_factory=_default_instructions)
    docs: Optional[list[Document]] = None
    actions_server_url: Optional[str] = None
    sample_conversation: Optional[str] = DEFAULT_SAMPLE_CONVERSATION
    prompts: Optional[list[TaskPrompt]] = None
    prompting_mode: Optional[str] = DEFAULT_PROMPTING_MODE
    config_path: Optional[str] = None
    import_paths: Optional[list[str]] = field(default_factory=list)
    imported_paths: Optional[dict[str, str]] = field(default_factory=dict)
    lowest_temperature: Optional[float] = DEFAULT_LOWEST_TEMPERATURE
    enable_multi_step_generation: Optional[bool] = False
    colang_version: str = field(default="1.0", before=_known_colang_version)
    custom_data: dict = field(default_factory=dict)
    knowledge_base: KnowledgeBaseConfig = field(default_factory=KnowledgeBaseConfig)
    core: CoreConfig = field(default_factory=CoreConfig)
    rails: Rails = field(default_factory=Rails)
    streaming: bool = False
    enable_rails_exceptions: bool = False
    passthrough: Optional[bool] = None
    raw_llm_call_action: Optional[str] = "raw llm call"
    tracing: TracingConfig = field(default_factory=TracingConfig)
    # Accepted for compatibility with NeMo config files; not used by this engine.
    event_source_uid: Optional[str] = None
    sensitive_data_detection: Optional[dict[str, Any]] = None
    embedding_search_provider: Optional[dict[str, Any]] = None
    # dialog-rails extensions.
    actions_server: ActionsServerConfig = field(default_factory=ActionsServerConfig)
    errors: ErrorsConfig = field(default_factory=ErrorsConfig)
    # Action metadata by action name (rails/actions/metadata.py lists the keys).
    actions_metadata: dict[str, dict] = field(default_factory=dict)
    # LLM-template actions declared as data (checked by rails.actions.declared when built).
    declared_actions: list[dict] = field(default_factory=list)
    # The model choosing actions, MCP servers' tools (rails/config/tool_use.py).
    tool_use: ToolUseConfig = field(default_factory=ToolUseConfig)
    timeouts: TimeoutsConfig = field(default_factory=TimeoutsConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    interaction: InteractionConfig = field(default_factory=InteractionConfig)

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def from_path(cls, config_path: str) -> "RailsConfig":
        """Load a config folder (YAML, `.co` at any depth, `kb/*.md`, imports) or one YAML
        file. Raises ConfigError (file and key path) or ColangSyntaxError (file and line)."""
        from rails.config.loader import load_path

        return load_path(cls, str(config_path))

    @classmethod
    def from_content(cls, colang_content: Optional[str] = None,
                     yaml_content: Optional[str] = None,
                     config: Optional[dict] = None) -> "RailsConfig":
        """Build a config from a dict, YAML text and Colang text (parsed as `main.co`)."""
        from rails.config.loader import load_content

        return load_content(cls, colang_content, yaml_content, config)

    @classmethod
    def parse_object(cls, obj: dict) -> "RailsConfig":
        """Validate a raw config dict; CoYML flows (first element without `_type`) are
        compiled to element lists first."""
        from rails.config.coyml import compile_coyml_flows

        obj = dict(obj)
        path = obj.get("config_path")
        file = path if isinstance(path, str) else None  # a wrong type is reported as such
        if obj.get("flows"):
            obj["flows"] = compile_coyml_flows(obj["flows"], file)
        return cls.validated(obj, file=file)

    @classmethod
    def validated(cls, obj: dict, *, file: Optional[str] = None,
                  partial: bool = False) -> "RailsConfig":
        """`model_validate` with errors turned into a ConfigError naming `file` and the key;
        unless `partial` (one file of several), the checks across keys run too."""
        try:
            config = cls.model_validate(obj)
        except ValidationError as exc:
            raise config_error(exc, file, {
                "": cls.model_fields, "errors": ErrorsConfig.model_fields,
                "actions_server": ActionsServerConfig.model_fields,
                "timeouts": TimeoutsConfig.model_fields,
                "limits": LimitsConfig.model_fields,
                "interaction": InteractionConfig.model_fields}) from exc
        if partial:
            warn_unknown_keys(config, file)
        else:
            check_across_keys(config, file)
        return config

    # -- NeMo compatibility ----------------------------------------------------------------

    @classmethod
    def parse_obj(cls, obj: dict) -> "RailsConfig":  # type: ignore[override]
        return cls.parse_object(obj)

    @property
    def streaming_supported(self) -> bool:
        """Token streaming is not supported together with output rails."""
        return not self.rails.output.flows

    def __add__(self, other: "RailsConfig") -> "RailsConfig":
        from rails.config.combine import combine_configs

        return combine_configs(self, other)


def check_across_keys(config: RailsConfig, file: Optional[str] = None) -> None:
    """The checks of spec §5.3 that involve several keys (they run on the merged config, and
    again in `validate_rail_flows`, since attributes may change after loading)."""
    tasks = {prompt.task for prompt in config.prompts or []}
    for (kind, flow_id), needed in PROMPTED_RAILS.items():
        if flow_id in getattr(config.rails, kind).flows and not tasks.intersection(needed):
            import difflib

            names = [str(getattr(task, "value", task)) for task in tasks]
            close = difflib.get_close_matches(needed[0], names, n=1)
            hint = (f"; the prompt for `{close[0]}` looks like it was meant for it" if close
                    else f"; add one to prompts.yml (prompts: - task: {needed[0]} ...)")
            # NeMo's sentences first (both of its wordings): users' tests match on them.
            raise ConfigError(f"You must provide a `{needed[0]}` prompt template. Missing a "
                              f"`{needed[0]}` prompt template, which is required for the "
                              f"`{flow_id}` rail{hint}",
                              file=file, key=f"rails.{kind}.flows")
    if config.tool_use.passthrough.tools and not config.passthrough:
        raise ConfigError("tool_use.passthrough.tools are offered in passthrough mode only; "
                          "add `passthrough: true` to config.yml (the caller runs the calls)",
                          file=file, key="tool_use.passthrough.tools")
    if config.passthrough and config.rails.dialog.single_call.enabled:
        raise ConfigError(
            "The passthrough mode and the single call dialog rails mode can't be used at the "
            "same time (rails.dialog.single_call.enabled): single call mode changes the prompt, "
            "which passthrough leaves alone", file=file, key="passthrough")
