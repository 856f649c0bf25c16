"""Flow expressions (spec §1.7): parsed to a small tree, built into closures, evaluated
without `eval`.

Parsing (lark, `grammar.parse_expression`) gives a *tree* of plain tuples (see `build`): it can
be marshalled, so parsed documents keep the trees of their expressions in the disk cache and a
process that loads them never imports the parser. `build(tree)` makes the evaluator;
`compile_expression(text)` does both (trees remembered from parsed or cached documents first)
and returns an `Expression` whose `evaluate(context)` reads `$name` from the context
(missing -> None).
Semantics follow the reference (which used `simpleeval`): Python operators, chained
comparisons, `and`/`or` returning operands, `a if c else b`, subscripts and slices, attribute
access (never `_private` names; on dicts `.key` reads the key, missing -> None), method calls on
values, the single function `len`, and `$x` inside string literals rewritten to `var_x`
(quirk R6). List, tuple and dict displays are supported as well (quirk F17, fixed).
"""
from __future__ import annotations

import ast
import math
import operator
import re
import types
from typing import Any, Callable, Mapping

from rails.errors import ColangSyntaxError
from rails.lang.expression_errors import ExpressionError
from rails.lang.method_limits import check_method_call
from rails.lang.value_limits import (SMALL, check_int_bits, check_size, check_value,
                                     repeated_size, size_of, value_limit)

Evaluator = Callable[[Mapping[str, Any]], Any]

MAX_POWER = 4_000_000
MAX_SHIFT = 10_000
FUNCTIONS: dict[str, Callable] = {"len": len}
# Methods that leak internals (`"{0.__class__}".format(x)`) or reflect on types.
BLOCKED_ATTRIBUTES = frozenset({"format", "format_map", "mro", "tb_frame", "gi_frame",
                                "ag_frame", "cr_frame", "exec"})
_BLOCKED_CALLABLES = {type, isinstance, eval, exec, getattr, setattr, delattr, repr, compile,
                      open, globals, locals, vars, __import__, breakpoint, input,
                      operator.attrgetter, operator.itemgetter, operator.methodcaller}
_VAR_IN_STRING = re.compile(r"\$([a-zA-Z_][a-zA-Z0-9_]*)")
_MISSING = object()


class Expression:
    """A compiled expression: `evaluate(context)` returns its value."""

    __slots__ = ("text", "_evaluate")

    def __init__(self, text: str, evaluate: Evaluator):
        self.text = text
        self._evaluate = evaluate

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        try:
            return self._evaluate(context)
        except ExpressionError as error:
            if error.expression is None:
                raise error.naming(self.text) from error.__cause__
            raise
        except Exception as error:  # a Python error inside an operator, call or subscript
            raise ExpressionError(f"{type(error).__name__}: {error}", self.text) from error

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


Tree = tuple  # an expression tree, see `build`

_COMPILED: dict[str, Expression] = {}
# Trees of the expressions of parsed (or disk-cached) documents, by text: the runtime compiles
# exactly these texts, and finding them here spares it the parser.
_TREES: dict[str, Tree] = {}
_CACHE_LIMIT = 8192


def compile_expression(text: str) -> Expression:
    """Compiles `text` once per process (cached); raises ColangSyntaxError when it is not an
    expression."""
    found = _COMPILED.get(text)
    if found is None:
        if len(_COMPILED) >= _CACHE_LIMIT:
            _COMPILED.clear()
        found = _COMPILED[text] = Expression(text, _build_or_fail_later(expression_tree(text)))
    return found


def _build_or_fail_later(tree: Tree) -> Evaluator:
    try:
        return build(tree)
    except RecursionError as error:
        # Nested deeper than the stack allows: evaluating it cannot work either. Fail there, as
        # an ExpressionError like any evaluation failure, not while flows are being loaded.
        message = str(error)

        def fail(context: Mapping[str, Any]) -> Any:
            raise RecursionError(message)
        return fail


def expression_tree(text: str) -> Tree:
    """The tree of `text`: remembered from a document, else parsed (which imports lark)."""
    found = _TREES.get(text)
    if found is None:
        from rails.lang.grammar import parse_expression

        found = parse_expression(text)
    return found


def remember(text: str, tree: Tree) -> None:
    """Keeps the tree of an expression met while parsing a statement (or loaded with a cached
    document), so that the runtime's later `compile_expression(text)` does not parse it."""
    if len(_TREES) >= _CACHE_LIMIT:
        _TREES.clear()
    _TREES[text] = tree


def remember_all(trees: dict[str, Tree]) -> None:
    for text, tree in trees.items():
        remember(text, tree)


def remembered_trees(texts: list) -> dict[str, Tree]:
    """text -> tree for those of `texts` that are remembered (the others are ignored)."""
    return {text: _TREES[text] for text in texts if text in _TREES}


def clear_cache() -> None:
    _COMPILED.clear()
    _TREES.clear()


# ------------------------------------------------------------------------------- trees
# The lark transformer (statements.py) writes trees; literals are evaluated and names checked
# there, so any tree it gives is valid. Nodes (sub-expressions are trees, absent ones None):
#   ("const", value)                ("var", name)          ("name", name)   bare name: `len`
#   ("concat", parts)               adjacent string literals, f-string pieces
#   ("format", value, conversion, spec)                    one `{...}` field of an f-string
#   ("not", operand)  ("and", operands)  ("or", operands)  ("unary", op, operand)
#   ("binary", op, left, right)     ("compare", first, ((op, operand), ...))
#   ("if", body, test, orelse)      ("subscript", container, key)
#   ("slice", lower, upper, step)   ("attribute", target, name)
#   ("call", function, args, ((keyword, value), ...))
#   ("list", items)  ("tuple", items)  ("dict", ((key, value), ...))
# Values are str, bytes, int, float, bool or None and sequences are tuples: marshal-able.

def build(tree: Tree) -> Evaluator:
    """The evaluator of a tree: the node builders below, applied bottom-up. One call per level
    (the builders get evaluators), so nesting goes as deep as evaluating can."""
    kind = tree[0]
    if kind == "const":
        return constant(tree[1])
    if kind == "var":
        return variable(tree[1])
    if kind == "binary":
        return binary(tree[1], build(tree[2]), build(tree[3]))
    if kind == "compare":
        return compare(build(tree[1]), [(op, build(operand)) for op, operand in tree[2]])
    if kind == "attribute":
        return attribute(build(tree[1]), tree[2])
    if kind == "call":
        return call(build(tree[1]), [build(arg) for arg in tree[2]],
                    [(key, build(value)) for key, value in tree[3]])
    if kind == "and":
        return logical_and([build(operand) for operand in tree[1]])
    if kind == "or":
        return logical_or([build(operand) for operand in tree[1]])
    if kind == "not":
        return logical_not(build(tree[1]))
    if kind == "unary":
        return unary(tree[1], build(tree[2]))
    if kind == "if":
        return conditional(build(tree[1]), build(tree[2]), build(tree[3]))
    if kind == "subscript":
        return subscript(build(tree[1]), build(tree[2]))
    if kind == "slice":
        return slice_of(*(None if part is None else build(part) for part in tree[1:]))
    if kind == "concat":
        return concatenate([build(part) for part in tree[1]])
    if kind == "format":
        return formatted(build(tree[1]), tree[2], tree[3])
    if kind == "name":
        return bare_name(tree[1])
    if kind == "list":
        return list_display([build(item) for item in tree[1]])
    if kind == "tuple":
        return tuple_display([build(item) for item in tree[1]])
    if kind == "dict":
        return dict_display([(build(key), build(value)) for key, value in tree[1]])
    raise ValueError(f"unknown expression node {kind!r}")


def string_tree(token: str) -> Tree:
    """One Python string literal token; `$x` inside it becomes `var_x` (quirk R6)."""
    prefix = token[:len(token) - len(token.lstrip("rRbBuUfF"))]
    if "f" in prefix.lower():
        return _f_string(token, prefix)
    return ("const", ast.literal_eval(_VAR_IN_STRING.sub(r"var_\1", token)))


def concatenation_tree(parts: list[Tree]) -> Tree:
    return parts[0] if len(parts) == 1 else ("concat", tuple(parts))


def number_tree(text: str) -> Tree:
    clean = text.replace("_", "")
    lowered = clean.lower()
    if lowered.startswith(("0x", "0o", "0b")):
        return ("const", int(clean, 0))
    if any(char in lowered for char in ".e"):
        return ("const", float(clean))
    return ("const", int(clean))


def _f_string(token: str, prefix: str) -> Tree:
    quote = token[len(prefix)]
    body = token[len(prefix) + 1:-1]
    plain_prefix = prefix.replace("f", "").replace("F", "")
    pieces: list[Tree] = []
    literal: list[str] = []
    i = 0

    def flush() -> None:
        if literal:
            text = _VAR_IN_STRING.sub(r"var_\1", "".join(literal))
            pieces.append(("const", ast.literal_eval(plain_prefix + quote + text + quote)))
            literal.clear()

    while i < len(body):
        char = body[i]
        if char in "{}" and body[i + 1:i + 2] == char:
            literal.append(char)
            i += 2
            continue
        if char == "}":
            raise ValueError("single '}' is not allowed in an f-string")
        if char != "{":
            literal.append(char)
            i += 1
            continue
        close = _top_level_index(body, "}", i + 1)
        if close < 0:
            raise ValueError("unclosed '{' in an f-string")
        field = body[i + 1:close]
        spec = ""
        conversion = None
        split = _top_level_index(field, ":")
        if split >= 0:
            field, spec = field[:split], field[split + 1:]
        if len(field) > 2 and field[-2] == "!" and field[-1] in "rsa":
            field, conversion = field[:-2], field[-1]
        flush()
        pieces.append(("format", expression_tree(field.strip()), conversion, spec))
        i = close + 1
    flush()
    return concatenation_tree(pieces) if pieces else ("const", "")


def _top_level_index(text: str, char: str, start: int = 0) -> int:
    """The index of the first `char` from `start` on that is outside quotes and brackets
    (a `:` right after `!` is a conversion, not a format spec), or -1."""
    depth, quote = 0, None
    for index in range(start, len(text)):
        c = text[index]
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == char and depth == 0 and not (c == ":" and text[index - 1:index] == "!"):
            return index
        elif c in "[({":
            depth += 1
        elif c in "])}":
            depth -= 1
    return -1


def check_attribute(name: str) -> None:
    if name.startswith("_") or name.startswith("func_") or name in BLOCKED_ATTRIBUTES:
        raise ValueError(f"access to the attribute '{name}' is not allowed")


# ---------------------------------------------------------------------- node builders
# Each builder takes evaluators of the sub-expressions and returns the evaluator of the node.

def constant(value: Any) -> Evaluator:
    return lambda context: value


def variable(name: str) -> Evaluator:
    def read(context: Mapping[str, Any]) -> Any:
        return context.get(name)
    return read


def bare_name(name: str) -> Evaluator:
    def read(context: Mapping[str, Any]) -> Any:
        if name in FUNCTIONS:
            return FUNCTIONS[name]
        raise ExpressionError(f"unknown name '{name}' (variables are written `${name}`)")
    return read


def concatenate(parts: list[Evaluator]) -> Evaluator:
    if len(parts) == 1:
        return parts[0]
    return lambda context: "".join([_text(part(context)) for part in parts])


def _text(value: Any) -> str:
    """`str(value)`, after checking that a container does not render too large."""
    kind = type(value)
    if kind is str:
        return value
    if kind is list or kind is tuple or kind is dict or kind is set:
        check_value(value, "the text of a value")
    return str(value)


def formatted(value_of: Evaluator, conversion: str | None, spec: str) -> Evaluator:
    convert = {"r": repr, "s": str, "a": ascii}.get(conversion or "", None)
    widest = max((int(n) for n in _NUMBER.findall(spec)), default=0)

    def render(context: Mapping[str, Any]) -> str:
        value = value_of(context)
        if type(value) is not str:
            check_value(value, "the text of a value")
        if convert is not None:
            value = convert(value)
        if not spec:
            return str(value)
        if widest > SMALL:
            check_size(widest, f"formatting with the spec {spec!r}")
        return format(value, spec)
    return render


_NUMBER = re.compile(r"\d+")


def _safe_power(a: Any, b: Any) -> Any:
    if abs(a) > MAX_POWER or abs(b) > MAX_POWER:
        raise ExpressionError(f"power {_shown(a)} ** {_shown(b)} is too large")
    if type(b) is int and b > 1 and isinstance(a, int) and (a > 1 or a < -1):
        bits = b * math.log2(abs(a))
        if bits > SMALL:
            check_int_bits(int(bits) + 1, f"{_shown(a)} ** {_shown(b)}")
    return a ** b


def _shown(value: Any) -> str:
    """A number for an error message (Python refuses to print integers past 4,300 digits)."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"<an integer of {value.bit_length():,} bits>"
    return repr(value)


def _safe_mult(a: Any, b: Any) -> Any:
    kind_a, kind_b = type(a), type(b)
    if kind_a is int and kind_b is int:
        bits = a.bit_length() + b.bit_length()
        if bits > SMALL:
            check_int_bits(bits, "the product")
        return a * b
    if kind_a is float or kind_b is float:
        return a * b
    if isinstance(b, int) and hasattr(a, "__len__"):
        sequence, count = a, b
    elif isinstance(a, int) and hasattr(b, "__len__"):
        sequence, count = b, a
    else:
        return a * b
    check_size(repeated_size(sequence, count), "the repetition")
    return a * b


def _safe_add(a: Any, b: Any) -> Any:
    kind = type(a)
    if kind is int or kind is float:
        return a + b
    if (kind is str or kind is bytes) and type(b) is kind:
        check_size(len(a) + len(b), "the concatenation")
    elif (kind is list or kind is tuple) and type(b) is kind:
        # The slots only: the items are shared, not copied (rendering checks the rest).
        check_size(8 * (len(a) + len(b)), "the concatenation")
    return a + b


def _safe_mod(a: Any, b: Any) -> Any:
    kind = type(a)
    if kind is str or kind is bytes:
        check_size(printf_size(a if kind is str else a.decode("latin-1"), b),
                   "the formatted text")
    return a % b


_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def printf_size(template: str, args: Any) -> int:
    """About how long `template % args` is: the template, every width and precision (a `*`
    takes its number from the arguments), and the arguments' own text."""
    known = _TEMPLATES.get(template)
    if known is None:
        known = _template_size(template)
        if len(_TEMPLATES) < 1024:  # templates are mostly literals of the flows
            _TEMPLATES[template] = known
    size, stars = known
    values = args if type(args) is tuple else (args,)
    for value in values:
        kind = type(value)
        if kind is str:
            size += len(value)
        elif kind is int:
            size += (value.bit_length() >> 1) + 2  # (a generous count of its digits)
            if stars:
                size += abs(value)
        elif kind is float or kind is bool or value is None:
            size += 32
        else:
            size += size_of(value, value_limit.get())
    return size


_TEMPLATES: dict[str, tuple[int, bool]] = {}


def _template_size(template: str) -> tuple[int, bool]:
    size, stars = len(template), False
    if "%" in template:
        for width, precision in _PRINTF_SPEC.findall(template):
            for number in (width, precision):
                if number == "*":
                    stars = True
                elif number:
                    size += int(number)
    return size, stars


def _safe_shift(function: Callable) -> Callable:
    def shift(a: Any, b: Any) -> Any:
        if abs(b) > MAX_SHIFT:
            raise ExpressionError(f"shift by {_shown(b)} is too large")
        if function is operator.lshift and type(a) is int and b > 0:
            bits = a.bit_length() + b
            if bits > SMALL:
                check_int_bits(bits, f"{_shown(a)} << {b}")
        return function(a, b)
    return shift


BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _safe_add, "-": operator.sub, "*": _safe_mult, "/": operator.truediv,
    "//": operator.floordiv, "%": _safe_mod, "**": _safe_power,
    "<<": _safe_shift(operator.lshift), ">>": _safe_shift(operator.rshift),
    "|": operator.or_, "^": operator.xor, "&": operator.and_,
}
UNARY_OPERATORS: dict[str, Callable[[Any], Any]] = {
    "-": operator.neg, "+": operator.pos, "~": operator.invert}
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, ">": operator.gt, "==": operator.eq, ">=": operator.ge, "<=": operator.le,
    "!=": operator.ne, "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
    "is": operator.is_, "is not": operator.is_not,
}


def binary(op: str, left: Evaluator, right: Evaluator) -> Evaluator:
    function = BINARY_OPERATORS[op]
    return lambda context: function(left(context), right(context))


def unary(op: str, operand: Evaluator) -> Evaluator:
    function = UNARY_OPERATORS[op]
    return lambda context: function(operand(context))


def logical_not(operand: Evaluator) -> Evaluator:
    return lambda context: not operand(context)


def logical_and(operands: list[Evaluator]) -> Evaluator:
    def evaluate(context: Mapping[str, Any]) -> Any:
        value = False
        for operand in operands:
            value = operand(context)
            if not value:
                return value
        return value
    return evaluate


def logical_or(operands: list[Evaluator]) -> Evaluator:
    def evaluate(context: Mapping[str, Any]) -> Any:
        value = False
        for operand in operands:
            value = operand(context)
            if value:
                return value
        return value
    return evaluate


def compare(first: Evaluator, rest: list[tuple[str, Evaluator]]) -> Evaluator:
    steps = [(COMPARISONS[op], operand) for op, operand in rest]

    def evaluate(context: Mapping[str, Any]) -> Any:
        left = first(context)
        for function, operand in steps:
            right = operand(context)
            if not function(left, right):
                return False
            left = right
        return True
    return evaluate


def conditional(body: Evaluator, test: Evaluator, orelse: Evaluator) -> Evaluator:
    return lambda context: body(context) if test(context) else orelse(context)


def subscript(container: Evaluator, key: Evaluator) -> Evaluator:
    return lambda context: container(context)[key(context)]


def slice_of(lower: Evaluator | None, upper: Evaluator | None,
             step: Evaluator | None) -> Evaluator:
    parts = [part or constant(None) for part in (lower, upper, step)]
    return lambda context: slice(parts[0](context), parts[1](context), parts[2](context))


def attribute(target: Evaluator, name: str) -> Evaluator:
    check_attribute(name)  # again: trees may come from the disk cache
    return lambda context: get_attribute(target(context), name)


def get_attribute(value: Any, name: str) -> Any:
    """`value.name`: a dict's methods first (like the reference's AttributeDict), then its key
    (missing -> None); on other objects the attribute, then the item of that name."""
    if isinstance(value, dict):
        found = getattr(value, name, _MISSING)
        return value.get(name) if found is _MISSING else found
    found = getattr(value, name, _MISSING)
    if found is _MISSING:
        try:
            found = value[name]
        except (KeyError, TypeError, IndexError):
            raise ExpressionError(
                f"{type(value).__name__} value has no attribute '{name}'") from None
    if isinstance(found, types.ModuleType):
        raise ExpressionError(f"attribute '{name}' is a module; modules are not accessible")
    if callable(found) and _is_blocked(found):
        raise ExpressionError(f"attribute '{name}' is a forbidden function")
    return found


def _is_blocked(function: Any) -> bool:
    try:
        return function in _BLOCKED_CALLABLES
    except TypeError:
        return False


def call(function: Evaluator, args: list[Evaluator],
         kwargs: list[tuple[str, Evaluator]]) -> Evaluator:
    def evaluate(context: Mapping[str, Any]) -> Any:
        target = function(context)
        if not callable(target):
            raise ExpressionError(f"{type(target).__name__} value is not callable")
        if _is_blocked(target):
            raise ExpressionError("this function is forbidden")
        positional = [arg(context) for arg in args]
        named = {key: value(context) for key, value in kwargs}
        owner = getattr(target, "__self__", None)
        if owner is not None:
            check_method_call(owner, getattr(target, "__name__", ""), positional, named)
        result = target(*positional, **named)
        kind = type(result)
        if kind is str or kind is bytes:
            if len(result) > SMALL:
                check_size(len(result))
        elif kind is list or kind is tuple or kind is dict:
            check_size(8 * len(result))
        return result
    return evaluate


def list_display(items: list[Evaluator]) -> Evaluator:
    return lambda context: [item(context) for item in items]


def tuple_display(items: list[Evaluator]) -> Evaluator:
    return lambda context: tuple(item(context) for item in items)


def dict_display(pairs: list[tuple[Evaluator, Evaluator]]) -> Evaluator:
    return lambda context: {key(context): value(context) for key, value in pairs}


def syntax_error(text: str, reason: str, column: int | None = None) -> ColangSyntaxError:
    return ColangSyntaxError(f"invalid expression `{text}`: {reason}", column=column,
                             line_text=text)
