"""YAML text -> Python data with hard limits and located errors.

Two things the plain safe loader lets through: an alias bomb (a few lines whose anchors expand to
billions of nodes; the loader shares them, so it only explodes at the first deep copy or dump)
and value errors of the constructors (`2024-13-01`, `!!int abc`, `!!bool maybe`) raised as bare
ValueError/KeyError without a file, a line or a key. Here the composed node graph is measured
before anything is built, and a constructor failure names the line and the key path."""
from __future__ import annotations

from typing import Any

import yaml

from rails.errors import ConfigError

# Aliases may add this many nodes beyond the ones written in the file (docs/limits.md). Real
# configs reuse a parameter block a few times; an alias bomb needs millions.
MAX_ALIAS_EXPANSION = 100_000

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ValueProblem(Exception):
    def __init__(self, node: yaml.Node, cause: BaseException):
        self.node, self.cause = node, cause


class _Loader(_Base):  # type: ignore[misc, valid-type]
    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (_ValueProblem, yaml.YAMLError):
            raise
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError,
                IndexError) as exc:
            raise _ValueProblem(node, exc) from exc


def load_yaml(text: str, file: str) -> Any:
    """The document a YAML text holds (None when empty); ConfigError for anything wrong."""
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise yaml_error(exc, file, text=text) from exc
        if root is None:
            return None
        _check_expansion(root, file)
        try:
            return loader.construct_document(root)
        except _ValueProblem as problem:
            raise _value_error(problem, root, file) from problem.cause
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            key = _key_path(root, _node_at(root, mark)) if mark is not None else None
            raise yaml_error(exc, file, key) from exc
    finally:
        loader.dispose()


def yaml_error(exc: yaml.YAMLError, file: str, key: str | None = None,
               text: str | None = None) -> ConfigError:
    """The parser's complaint, located; where the mistake is likely elsewhere (a bracket or a
    block opened earlier), that place too, and the line with a caret."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    if context and context_mark is not None and mark is not None \
            and context_mark.line != mark.line:
        context += f" started at line {context_mark.line + 1}, column {context_mark.column + 1}"
    detail = f"{problem} ({context})" if context else problem
    lines = text.splitlines() if text is not None else []
    shown = mark
    if context and "flow" in context and context_mark is not None:
        shown = context_mark  # an unclosed [ or {: the mistake is where it was opened
    line_text = lines[shown.line] if shown is not None and 0 <= shown.line < len(lines) else None
    hint = _hint(problem, line_text)
    message = f"{where}invalid YAML: {detail}" + (f"\n  hint: {hint}" if hint else "")
    if line_text is not None:
        message += f"\n    {line_text}\n    {' ' * shown.column}^"
    return ConfigError(message, file=file, key=key)


def _hint(problem: str, line_text: str | None) -> str:
    if line_text is not None and "\t" in line_text[:len(line_text) - len(line_text.lstrip())]:
        return "YAML does not allow tabs for indentation; indent with spaces"
    if "mapping values are not allowed" in problem:
        return ("a `key: value` where a plain value was expected: quote a value that holds "
                "': ', or check the indentation of the line")
    if "expected '-' indicator" in problem or "expected <block end>" in problem:
        return "the indentation of this line does not match the lines above it"
    if "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        return "a bracket opened here is not closed"
    return ""


def _value_error(problem: _ValueProblem, root: yaml.Node, file: str) -> ConfigError:
    node, cause = problem.node, problem.cause
    mark = node.start_mark
    # A KeyError's text is only the looked-up value again (`!!bool maybe` -> 'maybe').
    reason = "" if isinstance(cause, KeyError) else f" ({cause})"
    value = node.value if isinstance(node, yaml.ScalarNode) else None
    what = f"{value!r} is not a valid {_tag_name(node.tag)}" if value is not None else (
        f"invalid {_tag_name(node.tag)}")
    return ConfigError(f"line {mark.line + 1}, column {mark.column + 1}: {what}{reason}; "
                       "quote the value to keep it as text", file=file,
                       key=_key_path(root, node) or None)


def _tag_name(tag: str) -> str:
    name = tag.rsplit(":", 1)[-1]
    return {"int": "integer", "bool": "boolean (true/false)", "float": "number",
            "timestamp": "date or timestamp"}.get(name, name)


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Count the nodes the document expands to (each alias counted as a full copy of its
    anchor), without recursion and without building anything; also rejects an anchor that
    contains itself."""
    sizes: dict[int, int] = {}
    distinct = 0
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        if key in active:
            raise ConfigError(f"line {node.start_mark.line + 1}: an alias refers to an anchor "
                              "that contains it (a recursive structure)", file=file)
        active.add(key)
        distinct += 1
        stack.append((node, True))
        for child in _children(node):
            if id(child) in active:
                raise ConfigError(f"line {child.start_mark.line + 1}: an alias refers to an "
                                  "anchor that contains it (a recursive structure)", file=file)
            if id(child) not in sizes:
                stack.append((child, False))
    total = sizes[id(root)]
    if total - distinct > MAX_ALIAS_EXPANSION:
        raise ConfigError(f"aliases expand the document to {total:,} nodes ({distinct:,} "
                          f"written); at most {MAX_ALIAS_EXPANSION:,} may come from aliases "
                          "(an alias bomb?)", file=file)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _key_path(root: yaml.Node, target: yaml.Node | None) -> str:
    """`models[0].parameters.x`: where `target` sits in the document (first occurrence)."""
    if target is None:
        return ""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                stack.append((value_node, f"{path}.{name}" if path else str(name)))
                stack.append((key_node, path))
    return ""


def _node_at(root: yaml.Node, mark: Any) -> yaml.Node | None:
    """The innermost node starting at a mark (for constructor errors that carry only a mark)."""
    found = None
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.start_mark.index == mark.index:
            found = node
        stack.extend(_children(node))
    return found
