"""`ExpressionError`: a flow expression failed while being evaluated (its own module, so that
the evaluator and its value limits can both raise it)."""
from __future__ import annotations

from rails.errors import FlowEvaluationError


class ExpressionError(FlowEvaluationError):
    """An expression failed while being evaluated; names the expression and the cause."""

    def __init__(self, reason: str, expression: str | None = None):
        self.reason, self.expression = reason, expression
        super().__init__(f"{reason} (in `{expression}`)" if expression else reason)

    def naming(self, expression: str) -> "ExpressionError":
        """The same error (same class), naming `expression`."""
        named = type(self)(self.reason, expression)
        named.__cause__ = self.__cause__
        return named
