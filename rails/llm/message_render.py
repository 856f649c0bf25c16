"""Rendering of predefined bot messages (spec §3.9): `$name` references and Jinja syntax,
evaluated in a sandbox against the conversation's variables."""
from __future__ import annotations

import re
from typing import Any, Optional

from rails.lang.value_limits import check_size, size_of, value_limit

# A `$reference` inside a message: a name, attribute path or subscript ending in a word
# character or `]` (the same rule Colang uses for variables inside strings).
VARIABLE_REFERENCE = re.compile(r"\$([^ \"'!?\-,;</]*(?:\w|]))")


class MessageRenderer:
    """Compiles each distinct message once; renders with the referenced names only."""

    def __init__(self) -> None:
        self.env: Any = None  # created on the first message that needs it (start-up time)
        self._compiled: dict[str, tuple[Any, frozenset]] = {}

    def _template(self, text: str) -> tuple[Any, frozenset]:
        compiled = self._compiled.get(text)
        if compiled is None:
            from jinja2 import meta

            if self.env is None:
                self.env = _bounded_environment()

            source = text
            for reference in VARIABLE_REFERENCE.findall(text):
                source = source.replace(f"${reference}", "{{" + reference + "}}")
            from jinja2 import TemplateSyntaxError

            try:
                names = frozenset(meta.find_undeclared_variables(self.env.parse(source)))
                compiled = (self.env.from_string(source), names)
            except TemplateSyntaxError as error:
                raise ValueError(f"the bot message {text!r} is not a valid template (as "
                                 f"{source!r}): {error}") from error
            if len(self._compiled) < 4096:
                self._compiled[text] = compiled
        return compiled

    def render(self, text: str, context: Optional[dict]) -> str:
        """The message with its references filled in. Raises ExpressionLimitError (a
        FlowEvaluationError) when the text would be over `limits.value_size`: checked on the
        values before rendering, so `[$a] * 99999` is never turned into gigabytes of text."""
        if "$" not in text and "{" not in text:
            return text
        context = context or {}
        if "{" not in text:
            references = VARIABLE_REFERENCE.findall(text)
            if all(_PLAIN_NAME.fullmatch(name) for name in references):
                # Only `$name` references: substitute directly, exactly as Jinja would print
                # them (str() of the value, nothing for unknown names).
                _check_rendered(text, {name: context.get(name) for name in references},
                                {name: text.count(f"${name}") for name in references})
                return _substitute(text, references, context)
        template, names = self._template(text)
        values = {name: context[name] for name in names if name in context}
        _check_rendered(text, values, {})
        rendered = template.render(values)
        check_size(len(rendered), f"the bot message {_excerpt(text)}")
        return rendered


def _check_rendered(text: str, values: dict, uses: dict) -> None:
    size = len(text)
    for name, value in values.items():
        if type(value) is str:
            size += len(value) * uses.get(name, 1)
        elif value is not None:
            size += size_of(value, value_limit.get()) * uses.get(name, 1)
    check_size(size, f"the bot message {_excerpt(text)}")


def _excerpt(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _bounded_environment() -> Any:
    """Jinja's sandbox with the expressions' size rules on its operators (`{{ $a * $n }}`)."""
    from jinja2.sandbox import SandboxedEnvironment

    from rails.lang.expressions import BINARY_OPERATORS

    class BoundedEnvironment(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            return BINARY_OPERATORS[operator](left, right)

    return BoundedEnvironment()


_PLAIN_NAME = re.compile(r"[A-Za-z_]\w*")


def _substitute(text: str, references: list[str], context: dict) -> str:
    for name in sorted(set(references), key=len, reverse=True):
        value = context.get(name, "") if name in context else ""
        text = text.replace(f"${name}", str(value))
    return text
