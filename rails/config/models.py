"""The typed sections of a RailsConfig (spec §5.3, §5.4), with NeMo Guardrails' field names and
defaults so that code written against `nemoguardrails.RailsConfig` reads them unchanged.

Every section below the top level accepts extra keys (NeMo releases keep adding options, and
library rails read their own `rails.config.<name>` settings); extra keys stay reachable as
attributes. The top level itself is strict: see `RailsConfig`."""
from __future__ import annotations

from typing import Any, Optional, Union

from rails.config.library_rails import InjectionDetection, RegexDetection
from rails.config.schema import Section, StrictSection, field

DEFAULT_FALLBACK_MESSAGE = "I'm sorry, an internal error has occurred."


class Model(Section):
    """A model the engine uses. `type: main` is the main LLM, `type: embeddings` the model for
    search indexes; any other type `T` becomes the `T_llm` action parameter and the model of
    the task `T`. `parameters` are passed to the model client as they are."""

    checked_keys = True
    later_nemo_keys = frozenset({"reasoning_config", "cache"})

    type: str
    engine: str
    model: Optional[str] = None
    api_key_env_var: Optional[str] = None
    mode: Optional[str] = None
    parameters: dict[str, Any] = field(default_factory=dict)


class Instruction(Section):
    """A natural-language instruction; the first `general` one is `{{ general_instructions }}`."""

    type: str
    content: str


class Document(Section):
    """A knowledge-base document (`kb/*.md`)."""

    format: str
    content: str


class MessageTemplate(Section):
    """One message of a chat prompt: `type` is system, user, assistant or bot."""

    type: str
    content: str


class TaskPrompt(Section):
    """The prompt of an LLM task (`prompts.yml`). Exactly one of `content` (a text prompt) or
    `messages` (a chat prompt) is given."""

    checked_keys = True

    task: str
    content: Optional[str] = None
    messages: Optional[list[Union[MessageTemplate, str]]] = None
    models: Optional[list[str]] = None
    output_parser: Optional[str] = None
    max_length: Optional[int] = 16000
    mode: Optional[str] = "standard"
    stop: Optional[list[str]] = None
    max_tokens: Optional[int] = None

    def _check(self) -> None:
        if not self.content and not self.messages:
            raise ValueError(f"prompt for task '{self.task}' needs `content` or `messages`")
        if self.content and self.messages:
            raise ValueError(
                f"prompt for task '{self.task}' has both `content` and `messages`; keep one")


class EmbeddingsCacheConfig(Section):
    """Accepted for compatibility; the default offline index needs no embedding cache."""

    enabled: bool = False
    key_generator: str = "md5"
    store: str = "filesystem"
    store_config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()


class EmbeddingSearchProvider(Section):
    """Which search index to use (`rails.index.create_search_provider`). `name: default` picks
    by `parameters.embedding_engine` (docs/semantic-search.md): the embedded model of
    `dialog-rails[semantic]` (else the offline lexical index) when none is named, FastEmbed,
    SentenceTransformers, `openai`, `lexical`; other names are providers registered with
    `register_embedding_search_provider`, built with `parameters` as keyword arguments."""

    checked_keys = True

    name: str = "default"
    parameters: dict[str, Any] = field(default_factory=dict)
    cache: EmbeddingsCacheConfig = field(default_factory=EmbeddingsCacheConfig)


class KnowledgeBaseConfig(Section):
    """Knowledge-base settings. `folder` is accepted but documents always come from `kb/`."""

    checked_keys = True

    folder: str = "kb"
    embedding_search_provider: EmbeddingSearchProvider = field(
        default_factory=EmbeddingSearchProvider)


class CoreConfig(Section):
    """Index used for user examples, flows and bot messages."""

    checked_keys = True

    embedding_search_provider: EmbeddingSearchProvider = field(
        default_factory=EmbeddingSearchProvider)


class InputRails(Section):
    """Flows run, in order, on every user message; `parallel: true` runs them concurrently
    (the first to block wins and the others are cancelled)."""

    checked_keys = True
    later_nemo_keys = frozenset({"speculative_generation"})

    flows: list[str] = field(default_factory=list)
    parallel: Optional[bool] = False


class OutputRailsStreamingConfig(Section):
    """`rails.output.streaming`: stream the bot message while the output rails check it,
    `chunk_size` tokens at a time with the last `context_size` tokens of the previous chunk
    as context. `stream_first`: a chunk goes out before its check (lower latency; a block then
    ends the stream with an error chunk) instead of after it."""

    checked_keys = True

    enabled: bool = False
    chunk_size: int = field(default=200, gt=0)
    context_size: int = field(default=50, ge=0)
    stream_first: bool = True


class OutputRails(Section):
    """Flows run, in order, on every bot message; `parallel: true` runs them concurrently."""

    checked_keys = True
    later_nemo_keys = frozenset({"apply_to_reasoning_traces"})

    flows: list[str] = field(default_factory=list)
    parallel: Optional[bool] = False
    streaming: OutputRailsStreamingConfig = field(default_factory=OutputRailsStreamingConfig)


class RetrievalRails(Section):
    """Flows run, in order, on retrieved knowledge-base chunks."""

    checked_keys = True

    flows: list[str] = field(default_factory=list)


class ToolOutputRails(Section):
    """NeMo's `rails.tool_output`: flows run on the tool calls the main model answers with
    (passthrough mode), before they go back to the caller; they read `$tool_calls` and
    block with `stop`. `per_tool`: flows run only when a call names that tool (after
    `flows`). `parallel` is accepted; they run in order (NeMo 0.24 does too)."""

    checked_keys = True

    flows: list[str] = field(default_factory=list)
    parallel: Optional[bool] = False
    per_tool: dict[str, list[str]] = field(default_factory=dict)


class ToolInputRails(Section):
    """NeMo's `rails.tool_input`: flows run on each tool result the caller sends back
    (`$tool_message`, `$tool_name`, `$tool_call_id`) before the model sees it; `per_tool`:
    flows run only on results of that tool (after `flows`)."""

    checked_keys = True

    flows: list[str] = field(default_factory=list)
    parallel: Optional[bool] = False
    per_tool: dict[str, list[str]] = field(default_factory=dict)


class ActionRails(Section):
    """Colang 2.x only; accepted and ignored."""

    instant_actions: Optional[list[str]] = None


class SingleCallConfig(Section):
    """Compute user intent, bot intent and bot message with one LLM call (spec §3.13)."""

    checked_keys = True

    enabled: bool = False
    fallback_to_multiple_calls: bool = True


class UserMessagesConfig(Section):
    """How user intents are found: `embeddings_only` skips the LLM and takes the best example
    match when its score reaches the threshold, else the fallback intent."""

    checked_keys = True

    embeddings_only: bool = False
    embeddings_only_similarity_threshold: Optional[float] = field(default=None, ge=0, le=1)
    embeddings_only_fallback_intent: Optional[str] = None


class DialogRails(Section):
    checked_keys = True
    single_call: SingleCallConfig = field(default_factory=SingleCallConfig)
    user_messages: UserMessagesConfig = field(default_factory=UserMessagesConfig)


class FactCheckingRailConfig(Section):
    parameters: dict[str, Any] = field(default_factory=dict)
    fallback_to_self_check: bool = False


class SensitiveDataDetectionOptions(Section):
    entities: list[str] = field(default_factory=list)
    mask_token: str = "*"


class SensitiveDataDetection(Section):
    recognizers: list[dict] = field(default_factory=list)
    input: SensitiveDataDetectionOptions = field(default_factory=SensitiveDataDetectionOptions)
    output: SensitiveDataDetectionOptions = field(default_factory=SensitiveDataDetectionOptions)
    retrieval: SensitiveDataDetectionOptions = field(
        default_factory=SensitiveDataDetectionOptions)


class JailbreakDetectionConfig(Section):
    server_endpoint: Optional[str] = None
    length_per_perplexity_threshold: float = 89.79
    prefix_suffix_perplexity_threshold: float = 1845.65


class AutoAlignOptions(Section):
    guardrails_config: dict[str, Any] = field(default_factory=dict)


class AutoAlignRailConfig(Section):
    parameters: dict[str, Any] = field(default_factory=dict)
    input: AutoAlignOptions = field(default_factory=AutoAlignOptions)
    output: AutoAlignOptions = field(default_factory=AutoAlignOptions)


class RailsConfigData(Section):
    """Settings of library rails (`rails.config.<rail>`); any other sub-key is kept as given
    for the library rail that reads it."""

    fact_checking: FactCheckingRailConfig = field(default_factory=FactCheckingRailConfig)
    autoalign: AutoAlignRailConfig = field(default_factory=AutoAlignRailConfig)
    sensitive_data_detection: Optional[SensitiveDataDetection] = field(
        default_factory=SensitiveDataDetection)
    jailbreak_detection: Optional[JailbreakDetectionConfig] = field(
        default_factory=JailbreakDetectionConfig)
    regex_detection: Optional[RegexDetection] = None
    injection_detection: Optional[InjectionDetection] = None


class Rails(Section):
    """The `rails:` section: library-rail settings, input/output/retrieval rails, dialog rails."""

    checked_keys = True

    config: RailsConfigData = field(default_factory=RailsConfigData)
    input: InputRails = field(default_factory=InputRails)
    output: OutputRails = field(default_factory=OutputRails)
    retrieval: RetrievalRails = field(default_factory=RetrievalRails)
    dialog: DialogRails = field(default_factory=DialogRails)
    actions: ActionRails = field(default_factory=ActionRails)
    tool_output: ToolOutputRails = field(default_factory=ToolOutputRails)
    tool_input: ToolInputRails = field(default_factory=ToolInputRails)


class LogAdapterConfig(Section):
    """One tracing adapter: `name` (`FileSystem`, `OpenTelemetry` or a registered one) and its
    own settings (e.g. `filepath` for FileSystem), kept as extra keys."""

    name: str = "FileSystem"


class TracingConfig(Section):
    """`tracing:` (NeMo's keys). Off by default; when on, every turn is traced to each adapter.
    `enable_content_capture` adds prompts, completions and messages to the spans (they may hold
    personal data, so they are left out unless asked)."""

    checked_keys = True
    later_nemo_keys = frozenset({"span_format"})

    enabled: bool = False
    adapters: list[LogAdapterConfig] = field(default_factory=lambda: [LogAdapterConfig()])
    enable_content_capture: bool = False


class ActionsServerConfig(StrictSection):
    """dialog-rails extension: how to talk to the actions server of `actions_server_url`.

    `token` is sent as a bearer token; when unset, the environment variable
    `DIALOG_RAILS_ACTIONS_TOKEN` is read at the moment the client is created (not at load time,
    so secrets need not live in config files). Timeouts are in seconds; `retries` counts extra
    attempts after a connection failure."""

    token: Optional[str] = None
    connect_timeout: float = field(default=2.0, gt=0)
    timeout: float = field(default=30.0, gt=0)
    retries: int = field(default=2, ge=0)

    def effective_token(self) -> Optional[str]:
        """The token to send: the configured one, else `DIALOG_RAILS_ACTIONS_TOKEN` now."""
        import os

        return self.token or os.environ.get("DIALOG_RAILS_ACTIONS_TOKEN") or None


class ErrorsConfig(StrictSection):
    """dialog-rails extension: what the user sees when a turn fails. `fallback_message` is the
    bot answer; the real exception is always kept in the response log. `propagate: true` raises
    the exception to the caller instead."""

    fallback_message: str = DEFAULT_FALLBACK_MESSAGE
    propagate: bool = False


class TimeoutsConfig(StrictSection):
    """dialog-rails extension: deadlines in seconds (`null` turns one off). `action` bounds
    each action (local, sync or async, and remote); an action whose signature takes a model
    (`llm`, `llms`, `llm_task_manager`, `<type>_llm`) gets `llm` when that is longer. `llm`
    bounds each model call, `turn` the whole turn. `actions: {name: seconds}` overrides the
    limit of single actions (over `@action(timeout=...)`)."""

    action: Optional[float] = field(default=30.0, gt=0)
    llm: Optional[float] = field(default=60.0, gt=0)
    turn: Optional[float] = field(default=120.0, gt=0)
    actions: dict[str, Optional[float]] = field(default_factory=dict)


class LimitsConfig(StrictSection):
    """dialog-rails extension: bounds on resources. `action_threads`: the threads that run
    synchronous actions off the event loop (0 runs them on the loop, blocking it);
    `value_size`: the largest value (bytes, about) one flow expression or one rendered bot
    message may build."""

    action_threads: int = field(default=8, ge=0, le=1024)
    value_size: int = field(default=10_000_000, ge=4096)


class InteractionConfig(StrictSection):
    """dialog-rails extension: interactive actions (buttons, questions mid-action).

    `question_timeout`: seconds a question waits for its answer (per call: `timeout`);
    `max_answer_chars`: longest accepted text answer; `retention`: seconds the records of
    buttons, questions and journals are kept; `declined_message`: the bot's answer when a
    confirmation before an action is declined. `buttons`: bot message name -> buttons attached
    whenever the bot says it; `toolbar`: actions offered under bot messages; `confirm`: action
    name -> the confirmation question asked before it runs."""

    question_timeout: float = field(default=300.0, gt=0)
    max_answer_chars: int = field(default=10_000, gt=0)
    retention: float = field(default=7 * 24 * 3600.0, gt=0)
    declined_message: str = "Okay, I did not do it."
    buttons: dict[str, list[Any]] = field(default_factory=dict)
    toolbar: list[Any] = field(default_factory=list)
    confirm: dict[str, str] = field(default_factory=dict)
