"""The errors of declared actions. Each names the action and the field, placeholder or step
at fault, so an HTTP client gets a 422 naming the field and a flow author the exact cause."""
from __future__ import annotations

from typing import Optional

from rails.errors import ActionError, LLMCallError, RailsError


class DeclarationError(RailsError):
    """A declaration that cannot become an action. `problems` lists every (field, message)
    found, the first one is also `field` / `message`."""

    def __init__(self, problems: list[tuple[str, str]], *, action_name: Optional[str] = None):
        self.problems = list(problems)
        self.field, self.message = self.problems[0]
        self.action_name = action_name
        text = "; ".join(f"{field}: {message}" if field else message
                         for field, message in self.problems)
        where = f"action '{action_name}': " if action_name else ""
        super().__init__(where + text)


class ActionInputError(ActionError):
    """The values given to a declared action do not fit its template (a placeholder without a
    value, a parameter the template does not have, a value too large)."""

    def __init__(self, message: str, *, action_name: Optional[str] = None,
                 parameter: Optional[str] = None):
        self.parameter = parameter
        super().__init__(message, action_name=action_name)


class ActionOutputError(ActionError):
    """The model's answer is not the structured output the action asks for, even after the
    one repair attempt. `reply` is the last answer."""

    def __init__(self, message: str, *, action_name: Optional[str] = None,
                 reply: Optional[str] = None):
        self.reply = reply
        super().__init__(message, action_name=action_name)


class UnknownModelError(ActionError):
    """A declared action names a model that is not configured."""


class DuplicateActionError(ActionError):
    """An organisation already has an action of that name."""


class WorkflowError(ActionError):
    """A workflow step that cannot run: names the step (index and type) and the property."""

    def __init__(self, message: str, *, step: Optional[int] = None,
                 field: Optional[str] = None, action_name: Optional[str] = None):
        self.step, self.field = step, field
        super().__init__(message, action_name=action_name)


class LLMTimeoutError(LLMCallError):
    """The model did not answer within the action's `timeout`."""
