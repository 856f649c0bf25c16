"""Rendering of predefined bot messages (spec §3.9): `$name` references and Jinja syntax,
evaluated in a sandbox against the conversation's variables."""
from __future__ import annotations

import re
from typing import Any, Optional

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
                from jinja2.sandbox import SandboxedEnvironment

                self.env = SandboxedEnvironment()

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
        if "$" not in text and "{" not in text:
            return text
        context = context or {}
        if "{" not in text:
            references = VARIABLE_REFERENCE.findall(text)
            if all(_PLAIN_NAME.fullmatch(name) for name in references):
                # Only `$name` references: substitute directly, exactly as Jinja would print
                # them (str() of the value, nothing for unknown names).
                return _substitute(text, references, context)
        template, names = self._template(text)
        return template.render({name: context[name] for name in names if name in context})


_PLAIN_NAME = re.compile(r"[A-Za-z_]\w*")


def _substitute(text: str, references: list[str], context: dict) -> str:
    for name in sorted(set(references), key=len, reverse=True):
        value = context.get(name, "") if name in context else ""
        text = text.replace(f"${name}", str(value))
    return text
