"""A `.co` text -> ColangDocument: blocks from indentation, statements from the grammar.

Logical lines come from `lines.py`, each is normalized (`normalize.py`) and parsed by lark
(`grammar.py`); this module nests them by indentation into flows and message definitions and
hands flow bodies to `compiler.py` for the flat element lists of spec §2.3.
"""
from __future__ import annotations

import difflib
import re
import textwrap
from typing import Any

from rails.errors import ColangSyntaxError
from rails.lang import expressions as ex
from rails.lang.compiler import Branch, If, Node, While, compile_body
from rails.lang.document import ColangDocument, copy_value
from rails.lang.grammar import LineSyntaxError, parse_line
from rails.lang.lines import Line, anonymous_flow_hash, logical_lines, warn
from rails.lang.normalize import main_token, normalize
from rails.lang.shapes import parse_statement
from rails.lang.hints import UNSUPPORTED, VALID_STATEMENTS, hint_for, original_column, what
from rails.lang.statements import Statement
from rails.lang.values import looks_like_yaml, param_value, user_example, yaml_scalar


FLOW_TOKENS = frozenset((
    "user", "bot", "event", "run", "set", "do", "if", "else", "else if", "else when", "while",
    "check", "when", "label", "checkpoint", "goto", "go to", "meta", "infer", "any", "stop",
    "abort", "break", "continue", "pass", "return", "done"))
MODIFIERS = {
    "interruption": ("is_interruption_flow", True), "repair": ("is_interruption_flow", True),
    "test": ("is_test", True), "non-interruptable": ("interruptable", False),
    "noninterruptable": ("interruptable", False), "continuous": ("interruptable", False),
    "recursive": ("allow_multiple", True), "parallel": ("allow_multiple", True),
    "extension": ("is_extension", True), "sample": ("is_sample", True),
    "response": ("is_response", True),
}
_IS_V1 = re.compile(r"^\s*define", re.MULTILINE)
_DOCSTRINGS = re.compile(r'""".*?"""', re.DOTALL)
_COMMENTS = re.compile(r"#.*$", re.MULTILINE)
_QUOTED = re.compile(r'"[^"]*"')
# Nesting of `if`/`while`/`when` blocks inside one flow (docs/limits.md): far above any real
# flow, far below what the recursive parser, compiler and interpreter could take.
MAX_BLOCK_DEPTH = 100

# Statements that may be followed by an indented block of `key: value` parameters.
_TAKES_PARAMETERS = frozenset(("user", "event", "run", "do", "label", "checkpoint", "infer"))


def is_colang_v1(text: str) -> bool:
    """Spec §1.1: a `define` line outside doc strings and comments."""
    if "define" not in text:
        return False
    stripped = _COMMENTS.sub("", _DOCSTRINGS.sub("", text))
    return _IS_V1.search(stripped) is not None


class DocumentParser:
    def __init__(self, text: str, path: str | None):
        self.text = text
        self.path = path
        self.warnings: list[str] = []
        self.lines: list[Line] = logical_lines(text, path, self.warnings)
        self.doc = ColangDocument()
        self.flow_ids: dict[str, int] = {}
        self._content: list[str] | None = None

    # ------------------------------------------------------------------ plumbing
    def error(self, line: Line, message: str, hint: str | None = None,
              column: int | None = None) -> ColangSyntaxError:
        first = line.text.split("\n", 1)[0]
        return ColangSyntaxError(message, file=self.path, line=line.number,
                                 column=line.indentation + 1 + (column or 0),
                                 line_text=" " * line.indentation + first, hint=hint)

    def block_end(self, index: int, limit: int | None = None) -> int:
        """Index of the first line after `index` that is not more indented than it."""
        lines = self.lines
        indentation = lines[index].indentation
        end = len(lines) if limit is None else limit
        j = index + 1
        while j < end and lines[j].indentation > indentation:
            j += 1
        return j

    def normalized(self, index: int) -> str:
        text = normalize(self.lines[index].text)
        if text == "define flow":
            text += " anonymous-" + self.anonymous_hash(index)
        return text

    def anonymous_hash(self, index: int) -> str:
        end = self.block_end(index)
        return anonymous_flow_hash("".join(line.text for line in self.lines[index + 1:end]))

    def statement(self, index: int, text: str, start: str = "statement") -> Any:
        line = self.lines[index]
        try:
            if start == "statement":
                if text.startswith("bot ") and '"' in text:
                    return _with_strings(text, parse_statement)
                return parse_statement(text)
            return parse_line(text, start)
        except LineSyntaxError as error:
            raise self.error(line, f"{what(text, start)}: {error.message}",
                             error.hint or hint_for(text, error),
                             original_column(line.text.strip(), text, error.column)) from None

    def source_mapping(self, line: Line) -> dict:
        return {"filename": self.path, "line_number": line.number, "line_text": line.text,
                "comment": line.comment}

    # ------------------------------------------------------------------ top level
    def run(self) -> ColangDocument:
        lines = self.lines
        i = 0
        while i < len(lines):
            line = lines[i]
            text = self.normalized(i)
            token = main_token(text)
            end = self.block_end(i)
            if token in ("import", "include"):
                self.doc.imports.append(self.statement(i, text).name)
                i += 1
            elif token == "define":
                self.define(i, end, text)
                i = end
            elif token in FLOW_TOKENS or token.startswith("$"):
                raise self.error(line, f"`{token}` statement outside of a flow",
                                 "put statements inside a `define flow NAME` block")
            else:
                raise self.unknown_token(line, token, end > i + 1)
        return self.doc

    def unknown_token(self, line: Line, token: str, has_block: bool) -> ColangSyntaxError:
        if token in UNSUPPORTED:
            return self.error(line, UNSUPPORTED[token], f"valid statements: {VALID_STATEMENTS}")
        hint = f"valid statements: {VALID_STATEMENTS}"
        close = difflib.get_close_matches(token, sorted(FLOW_TOKENS | {"define", "execute"}),
                                          n=1, cutoff=0.6)
        if close:
            hint = f"did you mean `{close[0]}`? {hint}"
        if token.startswith("$"):
            hint = ("assignments are `$name = <expression>`, `$name = execute <action>` or "
                    "`$name = ...` (spaces around `=`)")
        elif close and line.indentation == 0 and close[0] in ("define", "import", "include"):
            hint = f"did you mean `{close[0]}`? (`define user|bot|flow|subflow NAME`)"
        elif has_block:
            hint = ("an unknown word followed by an indented block is a legacy namespace "
                    "header, which is not supported; start the block with `define flow NAME`")
        elif token.startswith("@"):
            hint = "decorators are Colang 2 syntax; use `define` modifiers in Colang 1.0"
        return self.error(line, f"Unknown main token '{token}'", hint)

    def define(self, index: int, end: int, text: str) -> None:
        line = self.lines[index]
        stmt = self.statement(index, text)
        if stmt.kind != "define":
            raise self.error(line, "invalid definition", "write `define flow|subflow|user|bot "
                             "NAME`")
        kind = stmt.define_kind
        if kind in ("action", "snippet"):
            return
        has_body = end > index + 1
        if kind in ("user", "bot") and not stmt.name:
            raise self.error(line, f"`define {kind}` needs a name",
                             f"write `define {kind} NAME` followed by quoted examples")
        if kind == "user":
            name = stmt.name.replace("|", " ")
            examples = self.doc.user_messages.setdefault(name, [])
            if not has_body:  # quirk: the name itself becomes an intent reference
                examples.append("{intent:" + stmt.name.replace(" ", "|") + "}")
                return
            self.message_body(index + 1, end, examples, user=True)
            return
        if kind == "bot":
            if not has_body:
                raise self.error(line, f"`define bot {stmt.name or ''}` has no messages",
                                 'add indented variants below it, e.g.   "Hello there!"')
            variants = self.doc.bot_messages.setdefault(stmt.name, [])
            self.message_body(index + 1, end, variants, user=False)
            return
        if not has_body:
            raise self.error(line, f"`define {kind}` has no body",
                             "indent the flow's statements below the `define` line")
        self.flow(index, end, stmt)

    # ----------------------------------------------------------------------- flows
    def flow(self, index: int, end: int, stmt: Statement) -> None:
        line = self.lines[index]
        meta: dict[str, Any] = {}
        for modifier in stmt.modifiers:
            key, value = MODIFIERS[modifier]
            meta[key] = value
        if stmt.define_kind == "subflow":
            meta["subflow"] = True
        flow_id = stmt.name or f"anonymous-{self.anonymous_hash(index)}"
        if flow_id in self.flow_ids:
            raise self.error(line, f"flow '{flow_id}' is already defined on line "
                             f"{self.flow_ids[flow_id]} of this file",
                             "rename one of them (flow ids must be unique)")
        self.flow_ids[flow_id] = line.number
        context = _FlowContext(meta, bool(meta.get("is_test") or meta.get("is_sample")))
        nodes = self.block(index + 1, end, context, top=True)
        elements = compile_body(nodes, self.goto_error)
        source_code = None
        if context.source_lines:
            if self._content is None:
                self._content = self.text.split("\n")
            content = self._content
            chunk = content[min(context.source_lines) - 1:max(context.source_lines)]
            source_code = textwrap.dedent("\n".join(c for c in chunk if c.strip()))
        self.doc.flows.append({"id": flow_id, "elements": elements, "source_code": source_code,
                               "meta": meta, "file": self.path, "line": line.number})

    def goto_error(self, element: dict, message: str) -> ColangSyntaxError:
        mapping = element.get("_source_mapping") or {}
        number = mapping.get("line_number")
        line = next((ln for ln in self.lines if ln.number == number), None)
        if line is None:
            return ColangSyntaxError(message, file=self.path)
        return self.error(line, message, "every `goto X` needs exactly one `label X` in the "
                          "same flow")

    def block(self, start: int, end: int, context: "_FlowContext", top: bool = False,
              depth: int = 0) -> list[Node]:
        lines = self.lines
        if depth > MAX_BLOCK_DEPTH:
            raise self.error(lines[start], f"blocks nested more than {MAX_BLOCK_DEPTH} levels "
                             "deep (the limit of the parser)", "move the inner part into a subflow (`do NAME`)")
        indentation = lines[start].indentation
        nodes: list[Node] = []
        open_if: If | None = None
        i = start
        while i < end:
            line = lines[i]
            if line.indentation != indentation:
                raise self.error(line, "inconsistent indentation",
                                 f"this line is indented by {line.indentation} spaces, but the "
                                 f"block it belongs to by {indentation}")
            sub_end = self.block_end(i, end)
            has_block = sub_end > i + 1
            text = self.normalized(i)
            token = main_token(text)
            if (token == "else" or token == "else if") and open_if is None:
                if nodes and isinstance(nodes[-1], Branch):
                    raise self.error(line, "`else` cannot follow `when`",
                                     "write `else when <pattern>` for the other case")
                raise self.error(line, f"`{token}` without a matching `if`",
                                 f"put `{token}` at the indentation of its `if`")
            if token not in FLOW_TOKENS:
                if token in ("define", "import", "include"):
                    raise self.error(line, f"`{token}` inside a flow",
                                     "definitions start at the beginning of a line, outside "
                                     "flows; check the indentation")
                raise self.unknown_token(line, token, has_block)
            stmt = self.statement(i, text)
            kind = stmt.kind
            if kind not in ("elif", "else"):
                open_if = None
            if kind in ("if", "elif", "else", "while", "when", "else_when") and not has_block:
                raise self.error(line, f"`{token}` needs an indented block below it")
            if kind == "element":
                element = copy_value(stmt.element)
                if has_block:
                    if token not in _TAKES_PARAMETERS:
                        self.no_block(line, has_block, f"`{token}`")
                    self.param_block(i + 1, sub_end, element)
                nodes.append(self.mapped(element, line, context))
            elif kind == "bot":
                nodes.append(self.bot(i, sub_end, stmt, text, context))
            elif kind == "set":
                expression = text.split("=", 1)[1].strip()
                ex.remember(expression, stmt.tree)
                self.no_block(line, has_block, "an assignment")
                nodes.append(self.mapped({"_type": "set", "key": stmt.key,
                                          "expression": expression}, line, context))
            elif kind == "generate_value":
                self.no_block(line, has_block, "an assignment")
                element = {"_type": "run_action", "action_name": "generate_value",
                           "action_params": {"instructions": line.comment},
                           "action_result_key": stmt.key,
                           "_source_mapping": self.source_mapping(line)}
                nodes.append(element)
            elif kind == "check":
                expression = text[len("check"):].strip()
                ex.remember(expression, stmt.tree)
                nodes.append(self.mapped({"_type": "check", "expression": expression},
                                         line, context))
            elif kind == "if" or kind == "elif":
                expression = text.split("if", 1)[1].strip()
                ex.remember(expression, stmt.tree)
                node = If(self.mapped({"_type": "if", "expression": expression}, line, context),
                          self.block(i + 1, sub_end, context, depth=depth + 1), [])
                if kind == "if":
                    nodes.append(node)
                else:
                    open_if.orelse = [node]
                open_if = node
            elif kind == "else":
                open_if.orelse = self.block(i + 1, sub_end, context, depth=depth + 1)
                open_if = None
            elif kind == "while":
                expression = text[len("while"):].strip()
                ex.remember(expression, stmt.tree)
                nodes.append(While(self.mapped({"_type": "while", "expression": expression},
                                               line, context),
                                   self.block(i + 1, sub_end, context, depth=depth + 1)))
            elif kind in ("when", "else_when"):
                pattern = self.pattern(i, stmt.pattern, context)
                alternative = [pattern] + self.block(i + 1, sub_end, context, depth=depth + 1)
                if nodes and isinstance(nodes[-1], Branch):
                    nodes[-1].alternatives.append(alternative)
                elif kind == "when":
                    nodes.append(Branch([alternative]))
                else:
                    raise self.error(line, "`else when` without a preceding `when`",
                                     "start the alternatives with `when <pattern>`")
            elif kind == "meta":
                if not top:
                    raise self.error(line, "`meta` (or `priority`) must be at the top level of "
                                     "the flow body")
                context.meta.update(stmt.data)
                if has_block:
                    context.meta.update(self.yaml_block(i + 1, sub_end))
            else:
                raise self.error(line, f"`{token}` is not allowed here")
            i = sub_end
        return nodes

    def mapped(self, element: dict, line: Line, context: "_FlowContext") -> dict:
        element["_source_mapping"] = self.source_mapping(line)
        context.source_lines.append(line.number)
        return element

    def no_block(self, line: Line, has_block: bool, what: str) -> None:
        if has_block:
            raise self.error(line, f"unexpected indented block after {what}",
                             "only flow control statements and parameterized steps take an "
                             "indented block")

    def pattern(self, index: int, stmt: Statement, context: "_FlowContext") -> dict:
        line = self.lines[index]
        if stmt.kind == "bot":
            element = {"_type": "run_action", "action_name": "utter",
                       "action_params": {"value": stmt.name, **stmt.params}}
            if stmt.name is None:
                raise self.error(line, "a `when bot` pattern needs a bot intent name")
        else:
            element = copy_value(stmt.element)
        return self.mapped(element, line, context)

    def bot(self, index: int, end: int, stmt: Statement, text: str,
            context: "_FlowContext") -> dict:
        line = self.lines[index]
        if stmt.name is None and stmt.text is None:
            raise self.error(line, "`bot` needs a message name or a quoted text",
                             'write `bot inform answer` or `bot "The answer is 42."`')
        params: dict[str, Any] = {}
        variants: list[str] = []
        j = index + 1
        while j < end:  # parameter lines come first, then quoted variants (or if/else)
            first = self.lines[j].text.strip()
            if first.startswith('"') or first.split(" ", 1)[0] == "if":
                break
            j += 1
        if j > index + 1:
            self.param_block(index + 1, j, params)
        if j < end:
            self.message_body(j, end, variants, user=False)
            context.source_lines.append(self.lines[end - 1].number)
        value = stmt.name
        extra: dict[str, Any] = {}
        if stmt.name is None:  # F11: inline text only; the text is the message and its name
            value = stmt.text
            extra["_inline_text"] = True
        if not context.suppress_messages and (stmt.text is not None or variants):
            messages = self.doc.bot_messages.setdefault(value, [])
            if stmt.text is not None:
                messages.append(stmt.text.split("\n", 1)[0].strip())
            messages.extend(variants)
        element = {"_type": "run_action", "action_name": "utter",
                   "action_params": {"value": value, **stmt.params, **params}, **extra}
        return self.mapped(element, line, context)

    # ---------------------------------------------------------- parameter blocks
    def param_lines(self, start: int, end: int) -> list[tuple[Line, str, str | None]]:
        out = []
        for j in range(start, end):
            line = self.lines[j]
            stmt = self.statement(j, line.text.strip(), "param_line")
            out.append((line, stmt.key, stmt.value))
        return out

    def param_block(self, start: int, end: int, element: dict) -> None:
        kind = element.get("_type")
        if kind == "run_action" and element.get("action_name") == "create_event":
            target = element["action_params"]["event"]
        elif kind == "UserIntent":
            target = element["intent_params"]
        elif kind == "run_action":
            target = element["action_params"]
        elif kind == "flow":
            target = element["flow_parameters"]
        elif kind in ("label", "goto", "jump", "break", "continue", "set", "check", "if",
                      "while") or kind is None:
            if kind is None:  # the parameters of a `bot` step
                target = element
            else:
                raise self.error(self.lines[start - 1], "unexpected indented block",
                                 "this statement takes no parameters or body")
        else:  # an event pattern: parameters are its fields
            target = element
        self.over_indented(start, end)
        for line, key, value in self.param_lines(start, end):
            if value is None:
                raise self.error(line, f"parameter `{key}` has no value", "write `key: value`")
            try:
                target[key[1:] if key.startswith("$") else key] = param_value(value)
            except ValueError as error:
                raise self.error(line, str(error),
                                 'values are numbers, True/False/None, "quoted strings", '
                                 "lists/dicts of those, or `$variables`") from None

    def over_indented(self, start: int, end: int) -> None:
        """A statement indented below another one reads as that one's parameters; say it is
        the indentation rather than failing on the "value"."""
        for j in range(start, end):
            line = self.lines[j]
            text = line.text.strip()
            if main_token(normalize(text)) in FLOW_TOKENS and ":" not in text.split('"')[0]:
                above = self.lines[start - 1]
                raise self.error(line, "this line is indented more than the statement above "
                                 f"it (`{above.text.strip()}`, {above.indentation} spaces)",
                                 "statements of one block share one indentation; indent it "
                                 f"by {above.indentation} spaces like the line above, or "
                                 "check for a missing `if`/`when`/`while` before it")

    def yaml_block(self, start: int, end: int) -> dict:
        data = {}
        for line, key, value in self.param_lines(start, end):
            data[key] = yaml_scalar(value)
        return data

    # ---------------------------------------------------------- message bodies
    def message_body(self, start: int, end: int, out: list[str], user: bool) -> None:
        conditional = False
        for j in range(start, end):
            line = self.lines[j]
            text = line.text.strip()
            # String contents are opaque to the grammar: parse the line with its strings
            # emptied (one memoized parse for all example lines) and read them back here.
            strings = _QUOTED.findall(text) if '"' in text else ()
            stmt = self.body_statement(j, _QUOTED.sub('""', text) if strings else text)
            kind = stmt.kind
            if kind == "body_meta":
                continue
            if kind in ("body_if", "body_else"):
                if user:
                    raise self.error(line, "conditions are only allowed in `define bot`")
                conditional = True
                continue
            parts = []
            next_string = iter(strings).__next__
            for part in stmt.parts:
                if part.type == "STRING":
                    content = next_string()[1:-1]
                    if user:
                        content = user_example(content)
                    parts.append(content)
                else:
                    ref = str(part).strip()
                    if looks_like_yaml(ref):
                        raise self.error(
                            line, "rich (YAML) messages are not supported",
                            'write each message as a quoted string, e.g.   "Hello there!"')
                    parts.append("{intent:" + ref.replace(" ", "|") + "}")
            message = parts[0].strip() if len(parts) == 1 else \
                " {intent:and} ".join(parts).strip()
            if "\n" in message:
                warn(self.warnings, f"{self.path or '<string>'}:{line.number}: only the first "
                                    "line of a multi-line message is kept")
                message = message.split("\n", 1)[0].strip()
            out.append(message)
        if conditional:
            warn(self.warnings, f"{self.path or '<string>'}:{self.lines[start - 1].number}: "
                                "conditions (if/else) in a bot message definition are "
                                "ignored; all variants are pooled")

    def body_statement(self, index: int, text: str) -> Statement:
        try:
            return parse_line(text, "body_line")
        except LineSyntaxError as error:
            raise self.error(self.lines[index], f"invalid message line: {error.message}",
                             error.hint or 'write quoted examples, e.g.   "hello there"') \
                from None


class _FlowContext:
    def __init__(self, meta: dict, suppress_messages: bool):
        self.meta = meta
        self.suppress_messages = suppress_messages
        self.source_lines: list[int] = []


def _with_strings(text: str, parse: Any) -> Statement:
    """Parses `text` with every double-quoted string emptied, then puts the strings back.

    The grammar treats string contents as opaque (`"[^"]*"`), so the structure of the line
    does not depend on them; emptying them lets lines that differ only in their texts share
    one memoized parse.
    """
    strings = _QUOTED.findall(text)
    if not strings:
        return parse(text)
    try:
        stmt = parse(_QUOTED.sub('""', text))
    except LineSyntaxError:
        return parse(text)  # report the error on the line as written
    if stmt.kind == "bot" and stmt.text is not None and len(strings) == 1:
        return Statement("bot", name=stmt.name, text=strings[0][1:-1], params=stmt.params)
    return parse(text)  # strings elsewhere (e.g. parameter values): parse the line as it is


def parse_document(text: str, path: str | None) -> tuple[ColangDocument, list[str]]:
    """The document and the warnings given while parsing it."""
    if not is_colang_v1(text):
        return ColangDocument(), []
    parser = DocumentParser(text, path)
    return parser.run(), parser.warnings
