"""What one parsed line is: the lark transformer from grammar rules to `Statement`s.

Element-producing statements carry an element *template* (NeMo's element shape, spec §2.2);
the parser copies it for every use, so parse results can be cached and shared between lines.
"""
from __future__ import annotations

import ast
import json
from typing import Any

from lark import Token, Transformer, v_args

from rails.lang import expressions as ex


class LineError(Exception):
    """A line that the grammar accepts but that is not valid Colang; the parser adds where."""

    def __init__(self, message: str, hint: str | None = None):
        self.message, self.hint = message, hint
        super().__init__(message)


class Statement:
    """One logical line. `kind` names it; the other attributes depend on the kind."""

    def __init__(self, kind: str, **fields: Any):
        self.kind = kind
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"Statement({self.__dict__!r})"


ALTERNATIVES_HINT = ("alternatives are not supported: write one `when` branch per pattern "
                     "(`when user a` ... `else when user b` ...) or define separate flows")


def _element(element: dict) -> Statement:
    return Statement("element", element=element)


def _ref(token: Token) -> str:
    return str(token).strip()


def _args(items: list | None) -> list:
    return [item for item in (items or ()) if item is not None]


@v_args(inline=True)
class LineTransformer(Transformer):
    """Builds statements, argument values and expression trees while lark parses."""

    # ------------------------------------------------------------------ definitions
    def define_stmt(self, *parts: Token) -> Statement:
        modifiers = [str(p) for p in parts if p.type == "MODIFIER"]
        kind = next(str(p) for p in parts if p.type == "DEFINE_KIND")
        rest = [str(p).strip() for p in parts if p.type == "REST"]
        return Statement("define", modifiers=modifiers, define_kind=kind,
                         name=rest[0] if rest else None)

    def import_stmt(self, name: Token) -> Statement:
        package = str(name).strip()
        if package[:1] in "\"'":
            package = package[1:-1]
        if package.startswith("bot/"):
            package = package.split("/", 1)[1]
        return Statement("import", name=package)

    # ------------------------------------------------------------------------ user
    def user_stmt(self, target: Statement) -> Statement:
        return target

    def user_example(self, text: Token) -> Statement:
        return _element({"_type": "UserIntent", "intent_name": str(text)[1:-1],
                         "intent_params": {}, "_is_example": True})

    def user_intent(self, name: Token, args: list | None = None) -> Statement:
        return _element(_user_element(str(name).strip(), _args(args)))

    def user_intent_with(self, name: Token, _with: Token, args: list) -> Statement:
        return _element(_user_element(str(name).strip(), _args(args)))

    def user_as(self, name: Token, var: Token) -> Statement:
        raise LineError(f"`user {str(name).strip()} as {var}` is not supported",
                        "capture values with an assignment instead, e.g. `$name = ...` after "
                        "the `user` line (the comment above it tells the LLM what to extract)")

    def user_alternatives(self, *parts: Token) -> Statement:
        raise LineError("`user a or user b`: " + ALTERNATIVES_HINT.split(":")[0],
                        ALTERNATIVES_HINT.split(": ", 1)[1])

    def user_list(self, text: Token) -> Statement:
        raise LineError("a list of intents (`user [a, b]`) is not supported",
                        "write one `when` branch per intent")

    # ------------------------------------------------------------------------- bot
    def bot_stmt(self, name: Token | None, text: Token | None, _with: Token | None,
                 args: list | None) -> Statement:
        params: dict[str, Any] = {}
        for index, arg in enumerate(_args(args)):
            if arg[0] == "named":
                key = arg[1][1:] if arg[1].startswith("$") else arg[1]
                params[key] = arg[2]
            else:
                value = arg[1]
                key = value[1:] if value.startswith("$") and "." not in value else f"${index}"
                params[key] = value
        return Statement("bot", name=str(name).strip() if name is not None else None,
                         text=str(text)[1:-1] if text is not None else None, params=params)

    def bot_rich(self, text: Token) -> Statement:
        raise LineError("rich bot elements (`bot {...}`) are not supported",
                        'name the message (`bot inform x`) and give its text in quotes')

    # ----------------------------------------------------------------------- event
    def event_stmt(self, name: Token, args: list | None = None) -> Statement:
        return _element(_event_element(str(name).strip(), _args(args)))

    def event_stmt_with(self, name: Token, _with: Token, args: list) -> Statement:
        return self.event_stmt(name, args)

    # ------------------------------------------------------------------------- run
    def run_stmt(self, result: Token | None, name: Token, args: list | None = None) -> Statement:
        params: dict[str, Any] = {}
        positional = []
        for arg in _args(args):
            if arg[0] == "named":
                params[arg[1]] = arg[2]
            else:
                positional.append(arg[1])
        for index, value in enumerate(positional, 1):
            params[f"${index}"] = value
        key = None
        if result is not None:
            key = str(result).rstrip("=").strip()
            key = key[1:] if key.startswith("$") else key
        return _element({"_type": "run_action", "action_name": str(name).strip(),
                         "action_params": params, "action_result_key": key})

    def run_stmt_with(self, result: Token | None, name: Token, _with: Token,
                      args: list) -> Statement:
        return self.run_stmt(result, name, args)

    # ------------------------------------------------------------------ assignments
    def set_stmt(self, key: Token, expression: ex.Tree) -> Statement:
        return Statement("set", key=_set_key(key), tree=expression)

    def set_ellipsis(self, key: Token, _ellipsis: Token) -> Statement:
        return Statement("generate_value", key=_set_key(key))

    # -------------------------------------------------------------------------- do
    def do_stmt(self, results: Token | None, name: Token, args: list | None = None) -> Statement:
        flow_name = str(name).strip()
        if flow_name.startswith("$"):
            from rails.lang.grammar import parse_expression

            ex.remember(flow_name, parse_expression(flow_name))
        parameters: dict[str, Any] = {}
        for index, arg in enumerate(_args(args)):
            if arg[0] == "named":
                parameters[arg[1]] = arg[2]
            else:
                parameters[f"${index}"] = arg[1]
        return_vars = []
        if results is not None:
            names = str(results).rstrip("=").split(",")
            return_vars = [n.strip()[1:] if n.strip().startswith("$") else n.strip()
                           for n in names]
        return _element({"_type": "flow", "flow_name": flow_name,
                         "flow_parameters": parameters, "return_vars": return_vars})

    def do_stmt_with(self, results: Token | None, name: Token, _with: Token,
                     args: list) -> Statement:
        return self.do_stmt(results, name, args)

    # ---------------------------------------------------------------- control flow
    def if_stmt(self, expression: ex.Tree) -> Statement:
        return Statement("if", tree=expression)

    def elif_stmt(self, expression: ex.Tree) -> Statement:
        return Statement("elif", tree=expression)

    def else_stmt(self) -> Statement:
        return Statement("else")

    def while_stmt(self, expression: ex.Tree) -> Statement:
        return Statement("while", tree=expression)

    def check_stmt(self, expression: ex.Tree) -> Statement:
        return Statement("check", tree=expression)

    def when_stmt(self, pattern: Statement) -> Statement:
        return Statement("when", pattern=_pattern(pattern))

    def else_when_stmt(self, pattern: Statement) -> Statement:
        return Statement("else_when", pattern=_pattern(pattern))

    def when_no_stmt(self, rest: Token) -> Statement:
        raise LineError("`when no ...` is not supported",
                        "wait for the pattern with `when` and put the other case in an "
                        "`else when` branch")

    def label_stmt(self, name: Token, value: Token | None) -> Statement:
        element: dict[str, Any] = {"_type": "label", "name": str(name).strip()}
        if value is not None:
            text = str(value).strip()
            element["value"] = text[1:-1] if text.startswith('"') else text
        return _element(element)

    def goto_stmt(self, label: Token) -> Statement:
        return _element({"_type": "goto", "label": str(label).strip()})

    def meta_stmt(self, value: Token | None) -> Statement:
        data: dict[str, Any] = {}
        if value is not None:
            try:
                data = json.loads(str(value))
            except ValueError as error:
                raise LineError(f"bad meta value {str(value)!r}: {error}",
                                'write JSON, e.g. `meta {"priority": 2}`') from error
        return Statement("meta", data=data)

    def infer_stmt(self, inner: Statement) -> Statement:
        if inner.kind == "bot":
            event = {"_type": "run_action", "action_name": "utter",
                     "action_params": {"value": inner.name, **inner.params}}
        else:
            event = inner.element
        return _element({"_type": "run_action", "action_name": "create_event",
                         "action_params": {"event": event}})

    def any_stmt(self, *rest: Token) -> Statement:
        raise LineError("`any` blocks: " + ALTERNATIVES_HINT.split(":")[0],
                        ALTERNATIVES_HINT.split(": ", 1)[1])

    def stop_stmt(self) -> Statement:
        return _element({"_type": "run_action", "action_name": "utter",
                         "action_params": {"value": "stop"}})

    def break_stmt(self) -> Statement:
        return _element({"_type": "break"})

    def continue_stmt(self) -> Statement:
        return _element({"_type": "continue"})

    def return_stmt(self, values: Token | None = None) -> Statement:
        element: dict[str, Any] = {"_type": "jump", "_next": "-1", "_absolute": True}
        if values is not None:
            element["_return_values"] = [v.strip() for v in str(values).split(",")]
        return _element(element)

    # ------------------------------------------------------------------- arguments
    def call_args(self, *args: Any) -> list:
        return [arg for arg in args if arg is not None]

    def with_args(self, *args: Any) -> list:
        return list(args)

    def bot_args(self, *args: Any) -> list:
        return list(args)

    def named_arg(self, key: Token, value: Any) -> tuple:
        if isinstance(value, Token):
            value = _token_value(value)
        return ("named", str(key).strip(), value)

    def positional_arg(self, value: Any) -> tuple:
        if isinstance(value, Token):
            value = _token_value(value)
        return ("positional", value)

    def lit_number(self, token: Token) -> Any:
        return ast.literal_eval(str(token).replace("_", ""))

    def lit_strings(self, *tokens: Token) -> Any:
        return "".join(_python_string(t) for t in tokens)

    def lit_true(self) -> bool:
        return True

    def lit_false(self) -> bool:
        return False

    def lit_none(self) -> None:
        return None

    def lit_list(self, *items: Any) -> list:
        return [i for i in items if i is not None] if items != (None,) else []

    def lit_tuple(self, *items: Any) -> tuple:
        return tuple(i for i in items if i is not None) if items != (None,) else ()

    def lit_dict(self, *items: Any) -> dict:
        items = tuple(i for i in items if i is not None)
        return dict(zip(items[0::2], items[1::2]))

    # --------------------------------------------------------------- message bodies
    def body_parts(self, *parts: Token) -> Statement:
        return Statement("body", parts=[p for p in parts if p.type != "AND"])

    def body_if(self, *_: Token) -> Statement:
        return Statement("body_if")

    def body_elif(self, *_: Token) -> Statement:
        return Statement("body_if")

    def body_else(self, *_: Token) -> Statement:
        return Statement("body_else")

    def body_param(self, keyword: Token, rest: Token) -> Statement:
        words = str(rest).split()
        if not (len(words) == 3 or (len(words) == 4 and words[1] == "as")):
            raise LineError(f"invalid parameter definition `{keyword} {rest}`",
                            f"write `{keyword} NAME as TYPE`")
        return Statement("body_meta")

    def body_set(self, _set: Token, rest: Token) -> Statement:
        words = str(rest).split()
        if len(words) < 2 or words[1] not in ("=", "to"):
            raise LineError(f"invalid `set {rest}` in a message definition",
                            "write `set $name = value`")
        return Statement("body_meta")

    def body_context(self, *_: Token) -> Statement:
        return Statement("body_meta")

    def body_bot(self, *_: Token) -> Statement:
        raise LineError("a `bot` line inside `define user` is not supported",
                        "write the reply in a flow: `define flow` / `user X` / `bot Y`")

    def param_line(self, key: Token, value: Token | None = None) -> Statement:
        name = str(key).rstrip(":=").strip()
        return Statement("param", key=name, value=str(value).strip() if value else None)

    # ------------------------------------------------------------------ expressions
    # Expression rules give trees (see expressions.build); sequences in them are tuples.
    def variable(self, token: Token) -> ex.Tree:
        return ("var", str(token)[1:])

    def name(self, token: Token) -> ex.Tree:
        name = str(token)
        if name not in ex.FUNCTIONS:
            hint = f"variables are written `${name}`; the only function is `len`"
            if name in ("execute", "exec", "run"):
                hint = "to store an action's result write `$name = execute ACTION(...)`"
            raise LineError(f"unknown name '{name}' in an expression", hint)
        return ("name", name)

    def number(self, token: Token) -> ex.Tree:
        return ex.number_tree(str(token))

    def strings(self, *tokens: Token) -> ex.Tree:
        try:
            return ex.concatenation_tree([ex.string_tree(str(t)) for t in tokens])
        except (ValueError, SyntaxError) as error:
            raise LineError(f"invalid string literal: {error}") from error

    def true(self) -> ex.Tree:
        return ("const", True)

    def false(self) -> ex.Tree:
        return ("const", False)

    def none(self) -> ex.Tree:
        return ("const", None)

    def list_display(self, *items: Any) -> ex.Tree:
        return ("list", tuple(i for i in items if i is not None))

    def tuple_display(self, *items: Any) -> ex.Tree:
        return ("tuple", tuple(i for i in items if i is not None))

    def dict_display(self, *items: Any) -> ex.Tree:
        items = tuple(i for i in items if i is not None)
        return ("dict", tuple(zip(items[0::2], items[1::2])))

    def conditional(self, body: Any, test: Any, orelse: Any) -> ex.Tree:
        return ("if", body, test, orelse)

    def or_op(self, *operands: Any) -> ex.Tree:
        return ("or", operands)

    def and_op(self, *operands: Any) -> ex.Tree:
        return ("and", operands)

    def not_op(self, operand: Any) -> ex.Tree:
        return ("not", operand)

    def comp_op(self, *tokens: Token) -> str:
        return " ".join(str(tokens[0]).split())

    def compare(self, first: Any, *rest: Any) -> ex.Tree:
        return ("compare", first, tuple(zip(rest[0::2], rest[1::2])))

    def bor(self, left: Any, right: Any) -> ex.Tree:
        return ("binary", "|", left, right)

    def bxor(self, left: Any, right: Any) -> ex.Tree:
        return ("binary", "^", left, right)

    def band(self, left: Any, right: Any) -> ex.Tree:
        return ("binary", "&", left, right)

    def binary(self, left: Any, op: Token, right: Any) -> ex.Tree:
        return ("binary", str(op), left, right)

    def power(self, left: Any, _op: Token, right: Any) -> ex.Tree:
        return ("binary", "**", left, right)

    def unary(self, op: Token, operand: Any) -> ex.Tree:
        return ("unary", str(op), operand)

    def attribute(self, target: Any, name: Token) -> ex.Tree:
        try:
            ex.check_attribute(str(name))
        except ValueError as error:
            raise LineError(str(error), "names starting with `_` and reflective methods "
                            "(format, mro, ...) are not accessible in expressions") from None
        return ("attribute", target, str(name))

    def subscript(self, container: Any, key: Any) -> ex.Tree:
        return ("subscript", container, key)

    def slice(self, lower: Any, upper: Any, step: Any = None) -> ex.Tree:
        return ("slice", lower, upper, step)

    def call(self, function: Any, arguments: list | None) -> ex.Tree:
        arguments = arguments or []
        args = tuple(a[1] for a in arguments if a[0] == "positional")
        kwargs = tuple((a[1], a[2]) for a in arguments if a[0] == "keyword")
        return ("call", function, args, kwargs)

    def call_arguments(self, *arguments: Any) -> list:
        return list(arguments)

    def positional(self, value: Any) -> tuple:
        return ("positional", value)

    def keyword(self, name: Token, value: Any) -> tuple:
        return ("keyword", str(name), value)


def _set_key(token: Token) -> str:
    key = str(token).rstrip("=").strip()
    return key[1:] if key.startswith("$") else key


def _token_value(token: Token) -> Any:
    if token.type == "REF":
        return _ref(token)
    if token.type == "STRING":
        return str(token)[1:-1]
    if token.type == "ARG_NUMBER":
        return ast.literal_eval(str(token).replace("_", ""))
    return str(token)


def _python_string(token: Token) -> str:
    text = str(token)
    prefix = text[:min(i for i in (text.find('"'), text.find("'")) if i >= 0)]
    if "f" in prefix.lower():
        raise LineError("f-strings are not allowed as argument values",
                        "arguments are literals or `$variables`")
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError) as error:
        raise LineError(f"invalid string {text}: {error}") from error


def _user_element(name: str, args: list) -> dict:
    params: dict[str, Any] = {}
    must_exist: list[str] = []
    for arg in args:
        if arg[0] == "named":
            key = arg[1][1:] if arg[1].startswith("$") else arg[1]
            params[key] = arg[2]
        elif isinstance(arg[1], str) and arg[1].startswith("$"):
            must_exist.append(arg[1][1:])
        else:
            raise LineError(f"positional intent parameter {arg[1]!r} is not a $variable",
                            "write `user NAME(key=value)` or `user NAME with $variable`")
    element: dict[str, Any] = {"_type": "UserIntent", "intent_name": name,
                               "intent_params": params}
    if must_exist:
        element["_match"] = " and ".join(f"$intent_params.{p} is not None" for p in must_exist)
    return element


def _event_element(name: str, args: list) -> dict:
    element: dict[str, Any] = {"_type": name}
    for arg in args:
        if arg[0] != "named":
            raise LineError(f"event parameter {arg[1]!r} has no name",
                            f"write `event {name}(key=value)`")
        element[arg[1]] = arg[2]
    return element


def _pattern(statement: Statement) -> Statement:
    return statement
