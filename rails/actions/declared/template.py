"""Prompt templates with `{{placeholder}}`s, rendered by plain substitution.

A template is split once into literal text and placeholder names; rendering joins the pieces
with the values inserted as text. A value is never looked at again, so a value containing
`{{secret}}` stays those characters: there is no way for input to reach another placeholder,
an expression or a filter (templates have none).

Syntax: `{{name}}` or `{{ name }}`, a name being letters, digits and `_` (not starting with a
digit). Any other `{{` is an error naming its line, since it is almost always a typo
(`{{document text}}`) that would otherwise reach the model as literal braces. A lone `}}` is
text (it ends nested JSON objects in examples); `{{{name}}}` is a placeholder in braces."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

MAX_TEMPLATE_CHARS = 32_768
MAX_PLACEHOLDERS = 64
MAX_PROMPT_CHARS = 1_000_000

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


class TemplateSyntaxError(ValueError):
    """What is wrong with a template, in words for the person who wrote it."""


@dataclass(frozen=True)
class Template:
    """A parsed template: `pieces` alternates literal text (even indexes) and placeholder
    names (odd indexes); `placeholders` lists each name once, in order of appearance."""

    source: str
    pieces: tuple[str, ...]
    placeholders: tuple[str, ...]

    def render(self, values: Mapping[str, Any]) -> str:
        """The prompt with every placeholder replaced by `values[name]` as text (strings as
        they are, other JSON values as JSON). Raises KeyError(name) for a missing value."""
        pieces = self.pieces
        out = [pieces[0]]
        for index in range(1, len(pieces), 2):
            out.append(value_text(values[pieces[index]]))
            out.append(pieces[index + 1])
        return "".join(out)


def value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def parse_template(source: str) -> Template:
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateSyntaxError(f"is {len(source)} characters long; the limit is "
                                  f"{MAX_TEMPLATE_CHARS}")
    pieces: list[str] = []
    names: list[str] = []
    text_start = position = 0
    while True:
        opening = source.find("{{", position)
        if opening < 0:
            break
        if source.startswith("{{{", opening):  # a literal brace before a placeholder
            position = opening + 1
            continue
        match = _PLACEHOLDER.match(source, opening)
        name = match.group(1) if match else None
        if name is None or not _NAME.fullmatch(name):
            raise TemplateSyntaxError(_bad_placeholder(source, opening, match))
        pieces.append(source[text_start:opening])
        pieces.append(name)
        if name not in names:
            names.append(name)
        text_start = position = match.end()
    pieces.append(source[text_start:])
    if len(names) > MAX_PLACEHOLDERS:
        raise TemplateSyntaxError(f"has {len(names)} placeholders; the limit is "
                                  f"{MAX_PLACEHOLDERS}")
    return Template(source, tuple(pieces), tuple(names))


def _bad_placeholder(source: str, at: int, match: Any) -> str:
    line = source.count("\n", 0, at) + 1
    if match is None:
        excerpt = source[at:at + 30].split("\n", 1)[0]
        return (f"line {line}: `{excerpt}` opens a placeholder that is never closed with "
                f"`}}}}`")
    name = match.group(1)
    suggestion = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
    hint = f" (write `{{{{{suggestion}}}}}`)" if suggestion and _NAME.fullmatch(suggestion) \
        else ""
    return (f"line {line}: `{match.group(0)}` is not a placeholder: a name is letters, "
            f"digits and _{hint}")
