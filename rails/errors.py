"""The exceptions dialog-rails raises. Every one names its cause; none hides the original."""
from __future__ import annotations


class RailsError(Exception):
    """Base class of every error dialog-rails raises on purpose."""


class TurnControl(BaseException):
    """Raised through an action on purpose, to end the turn in a planned way (an action that
    waits for the user's answer): never that action's failure, so the dispatcher lets it
    through. A BaseException, so an action's own `except Exception` cannot swallow it."""


class ColangSyntaxError(RailsError):
    """A `.co` text that cannot be parsed: says where, shows the line with a caret, and hints."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, line_text: str | None = None, hint: str | None = None):
        self.message, self.file, self.line = message, file, line
        self.column, self.line_text, self.hint = column, line_text, hint
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{self.file or '<string>'}:{self.line or '?'}"
        if self.column:
            where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.line_text is not None:
            caret = " " * max((self.column or 1) - 1, 0) + "^"
            text += f"\n    {self.line_text}\n    {caret}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ConfigError(RailsError, ValueError):
    """A configuration that is invalid: names the file and the key path. A ValueError too, as
    NeMo's configuration errors are, so code that catches those keeps working."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
        self.message, self.file, self.key = message, file, key
        prefix = ": ".join(part for part in (file, key) if part)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class RailTypeNotConfiguredError(RailsError, ValueError):
    """`LLMRails.check(..., rail_types=[...])` asked for a kind of rail the config has none of."""


class RuntimeLimitError(RailsError):
    """A hard limit of the interpreter was hit (events per turn, subflow depth, loop iterations)."""


class FlowEvaluationError(RailsError):
    """An expression inside a flow failed at run time; names the flow, file and line."""


class StateError(RailsError, ValueError):
    """A conversation state that cannot be used: malformed, of another format version, not
    signed by this server, altered, or made for another config."""


class ActionError(RailsError):
    """An action failed or does not exist. `__cause__` holds the original exception, if any."""

    def __init__(self, message: str, *, action_name: str | None = None):
        self.action_name = action_name
        super().__init__(message)


class ActionNotFoundError(ActionError):
    """No action is registered under the name (and none is served remotely)."""


class RemoteActionError(ActionError):
    """The actions server could not run the action: carries URL, status and reason."""

    def __init__(self, message: str, *, action_name: str | None = None, url: str | None = None,
                 status: int | None = None, reason: str | None = None):
        self.url, self.status, self.reason = url, status, reason
        super().__init__(message, action_name=action_name)


class LLMCallError(RailsError):
    """A model call failed: names the endpoint, the status and an excerpt of the answer body."""

    def __init__(self, message: str, *, endpoint: str | None = None, status: int | None = None,
                 body_excerpt: str | None = None):
        self.endpoint, self.status, self.body_excerpt = endpoint, status, body_excerpt
        super().__init__(message)


class DeadlineExceededError(RailsError):
    """A unit of work ran past its deadline and was cancelled. `what` names it (an action, a
    model call, the turn), `limit` is the deadline in seconds and `setting` the config key that
    sets it."""

    def __init__(self, message: str, *, what: str | None = None, limit: float | None = None,
                 setting: str | None = None):
        self.what, self.limit, self.setting = what, limit, setting
        super().__init__(message)


class ActionTimeoutError(DeadlineExceededError, ActionError):
    """An action did not finish within its timeout (or the turn's)."""

    def __init__(self, message: str, *, action_name: str | None = None,
                 limit: float | None = None, setting: str | None = None):
        DeadlineExceededError.__init__(self, message, what=f"action '{action_name}'",
                                       limit=limit, setting=setting)
        self.action_name = action_name


class LLMTimeoutError(DeadlineExceededError, LLMCallError):
    """A model call did not answer within `timeouts.llm`. Unlike other model failures it ends
    the turn through the error path (fallback message) instead of propagating."""

    def __init__(self, message: str, *, limit: float | None = None,
                 endpoint: str | None = None):
        DeadlineExceededError.__init__(self, message, what="model call", limit=limit,
                                       setting="timeouts.llm")
        self.endpoint, self.status, self.body_excerpt = endpoint, None, None


# Name used by NeMo Guardrails; kept so `except LLMCallException` ports unchanged.
LLMCallException = LLMCallError


class InteractionError(RailsError):
    """A click or an answer that cannot be accepted (interactive actions). `status` is the HTTP
    status the server answers with, `code` a stable machine-readable reason."""

    status = 400
    code = "invalid_interaction"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 param: str | None = None):
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.param = param
        super().__init__(message)


class ButtonNotFoundError(InteractionError):
    """No live record of that button id (never existed, or belongs to another thread)."""

    status, code = 404, "button_not_found"


class ButtonUnavailableError(InteractionError):
    """The button exists but was removed or already used: nothing runs."""

    status, code = 409, "button_unavailable"


class InteractionNotFoundError(InteractionError):
    status, code = 404, "interaction_not_found"


class InteractionClosedError(InteractionError):
    """The question was already answered, cancelled or withdrawn: nothing runs."""

    status, code = 409, "interaction_closed"


class InteractionExpiredError(InteractionError):
    status, code = 410, "interaction_expired"


class AnswerTooLargeError(InteractionError):
    status, code = 413, "answer_too_large"


class StepOutcomeUnknownError(ActionError):
    """A named step started before a crash and never recorded its result: running it again
    could repeat a side effect, so the action stops here (at most once)."""


class GenerationOptionsError(RailsError, ValueError):
    """`options` of a generate call that do not validate: names each offending key (a
    ValueError, like the pydantic error NeMo raises there)."""
