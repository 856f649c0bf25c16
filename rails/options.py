"""Per-request generation options and the structured response (NeMo-compatible shapes)."""
from __future__ import annotations

from enum import Enum
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator


class RailType(str, Enum):
    """The kinds of rails `LLMRails.check` can run."""

    INPUT = "input"
    OUTPUT = "output"


class RailStatus(str, Enum):
    """What a check decided about the content."""

    PASSED = "passed"      # unchanged
    MODIFIED = "modified"  # a rail rewrote it (e.g. masked data)
    BLOCKED = "blocked"    # a rail stopped it; `content` is the refusal


class RailsResult(BaseModel):
    """The outcome of `LLMRails.check`: the status, the content after the rails, and the rail
    that blocked it (None unless blocked)."""

    status: RailStatus
    content: str
    rail: Optional[str] = None


class GenerationLogOptions(BaseModel):
    """What to include in `GenerationResponse.log`; nothing by default."""

    # A misspelled option must not be dropped silently (the reference ignores it): it would
    # leave a rail running, or a log section missing, with no sign of why.
    model_config = ConfigDict(extra="forbid")

    activated_rails: bool = False
    llm_calls: bool = False
    internal_events: bool = False
    colang_history: bool = False
    # Not an option callers set: the server asks for the stats and errors alone (the token
    # usage of its answers), which are much cheaper than any part of the log.
    _usage: bool = PrivateAttr(default=False)


class GenerationRailsOptions(BaseModel):
    """Which kinds of rails run for this request. A list of flow names counts as enabled."""

    model_config = ConfigDict(extra="forbid")

    input: Union[bool, list[str]] = True
    output: Union[bool, list[str]] = True
    retrieval: Union[bool, list[str]] = True
    dialog: bool = True
    tool_output: Union[bool, list[str]] = True
    tool_input: Union[bool, list[str]] = True


class GenerationOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rails: GenerationRailsOptions = Field(default_factory=GenerationRailsOptions)
    llm_params: Optional[dict] = None
    llm_output: Optional[bool] = False
    output_vars: Optional[Union[bool, list[str]]] = None
    log: GenerationLogOptions = Field(default_factory=GenerationLogOptions)
    # Ours: re-raise the original exception of a failing action or flow instead of answering
    # with the fallback message.
    raise_errors: bool = False

    @model_validator(mode="before")
    @classmethod
    def _rails_as_list(cls, values: Any) -> Any:
        """`rails: ["input", "output"]` enables exactly the kinds listed."""
        if isinstance(values, dict) and isinstance(values.get("rails"), list):
            kinds = values["rails"]
            every = ("input", "output", "retrieval", "dialog", "tool_output", "tool_input")
            unknown = set(kinds) - set(every)
            if unknown:
                raise ValueError(f"unknown rail kinds {sorted(unknown)}; use input, output, "
                                 "retrieval, dialog, tool_output or tool_input")
            values = {**values, "rails": {k: k in kinds for k in every}}
        return values


class LLMCallSummary(BaseModel):
    task: Optional[str] = None
    duration: Optional[float] = None
    total_tokens: Optional[int] = None
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    started_at: Optional[float] = None
    finished_at: Optional[float] = None


class LLMCallInfo(LLMCallSummary):
    prompt: Optional[str] = None
    completion: Optional[str] = None
    raw_response: Optional[dict] = None
    llm_model_name: Optional[str] = None


class ExecutedAction(BaseModel):
    action_name: str
    action_params: dict[str, Any] = Field(default_factory=dict)
    return_value: Any = None
    llm_calls: list[LLMCallInfo] = Field(default_factory=list)
    started_at: Optional[float] = None
    finished_at: Optional[float] = None
    duration: Optional[float] = None
    # Ours: the failure, when the action did not succeed ("TypeError: ...").
    error: Optional[str] = None


class ActivatedRail(BaseModel):
    type: str
    name: str
    decisions: list[str] = Field(default_factory=list)
    executed_actions: list[ExecutedAction] = Field(default_factory=list)
    stop: bool = False
    additional_info: Optional[dict] = None
    started_at: Optional[float] = None
    finished_at: Optional[float] = None
    duration: Optional[float] = None


class GenerationStats(BaseModel):
    input_rails_duration: Optional[float] = None
    dialog_rails_duration: Optional[float] = None
    generation_rails_duration: Optional[float] = None
    output_rails_duration: Optional[float] = None
    total_duration: Optional[float] = None
    llm_calls_duration: Optional[float] = 0
    llm_calls_count: Optional[int] = 0
    llm_calls_total_prompt_tokens: Optional[int] = 0
    llm_calls_total_completion_tokens: Optional[int] = 0
    llm_calls_total_tokens: Optional[int] = 0


class ErrorInfo(BaseModel):
    """Ours: a failure that ended the turn with the fallback message."""

    type: str
    message: str
    traceback: Optional[str] = None


class StreamCheck(BaseModel):
    """Ours: one window of streamed text checked by the output rails (`rails.output.streaming`
    checks the answer window by window while it streams)."""

    window: int                      # 1, 2, ... in the order the windows were checked
    text: str                        # what the rails saw: context tokens, then the new ones
    status: str                      # "passed", "blocked", or "failed" (a rail could not run)
    rail: Optional[str] = None       # the rail that blocked or failed
    sent_before_check: bool = False  # stream_first: the window's tokens went out first
    activated_rails: list[ActivatedRail] = Field(default_factory=list)
    llm_calls: list[LLMCallInfo] = Field(default_factory=list)
    errors: list[ErrorInfo] = Field(default_factory=list)
    started_at: Optional[float] = None
    finished_at: Optional[float] = None
    duration: Optional[float] = None


class GenerationLog(BaseModel):
    activated_rails: list[ActivatedRail] = Field(default_factory=list)
    stats: GenerationStats = Field(default_factory=GenerationStats)
    llm_calls: Optional[list[LLMCallInfo]] = None
    internal_events: Optional[list[dict]] = None
    colang_history: Optional[str] = None
    errors: list[ErrorInfo] = Field(default_factory=list)
    # Ours (with `activated_rails`, when there are any): permission decisions and the steps
    # of the model choosing actions (thought, calls, results).
    action_decisions: Optional[list[dict]] = None
    tool_steps: Optional[list[dict]] = None
    # Ours (with `activated_rails`, on a stream with streaming output rails): every window
    # check, in order; its output rails are in `activated_rails` too.
    stream_checks: Optional[list[StreamCheck]] = None


class GenerationResponse(BaseModel):
    response: Union[str, list[dict]]
    llm_output: Optional[dict] = None
    output_data: Optional[dict] = None
    log: Optional[GenerationLog] = None
    state: Optional[dict] = None
    # NeMo's field: the tool calls of the answer (passthrough mode), as in the message.
    tool_calls: Optional[list[dict]] = None


class ExplainInfo(BaseModel):
    """What `LLMRails.explain()` returns about the last turn."""

    llm_calls: list[LLMCallInfo] = Field(default_factory=list)
    colang_history: Optional[str] = None
    errors: list[ErrorInfo] = Field(default_factory=list)
    # Ours: each permission decision (action, caller, allowed, reason, user) and each step of
    # the model choosing actions (offered, thought, calls with their results, text).
    action_decisions: list[dict] = Field(default_factory=list)
    tool_steps: list[dict] = Field(default_factory=list)
    # Ours: on a streamed turn with streaming output rails, every window check in order, with
    # the rails that ran on it and what they decided (their LLM calls are in `llm_calls`).
    stream_checks: list[StreamCheck] = Field(default_factory=list)

    def print_llm_calls_summary(self) -> None:
        if not self.llm_calls:
            print("No LLM calls were made.")
            return
        total = sum(call.duration or 0 for call in self.llm_calls)
        tokens = sum(call.total_tokens or 0 for call in self.llm_calls)
        print(f"Summary: {len(self.llm_calls)} LLM call(s) took {total:.2f} seconds"
              + (f" and used {tokens} tokens." if tokens else "."))
        for number, call in enumerate(self.llm_calls, 1):
            print(f"{number}. Task `{call.task}` took {call.duration or 0:.2f} seconds"
                  + (f" and used {call.total_tokens} tokens." if call.total_tokens else "."))
