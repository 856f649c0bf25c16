"""Flows written in CoYML (the YAML form of NeMo configs) -> the flow dicts of `.co` files.

    compile_coyml_flow({"id": "greeting", "elements": [
        {"user": "express greeting"}, {"bot": "express greeting"}, {"execute": "log_it(a=1)"}]})

Each shorthand element is turned into the Colang line it stands for (`{"execute": "x(a=1)"}`
is `execute x(a=1)`) and parsed by the same grammar, so both forms give identical elements.
Supported kinds: user/intent, bot/utter/ask, execute/run/action, event, do/flow/call, set,
if (then/else), while (do), when-branches (consecutive lists), check, stop/abort, break,
continue/pass, return/done, label/checkpoint, goto, meta, create/infer (an event dict).
Elements that already have `_type` are kept as they are.
"""
from __future__ import annotations

import ast
from typing import Any

from rails.errors import ColangSyntaxError
from rails.lang import expressions as ex
from rails.lang.compiler import Branch, If, While, compile_body
from rails.lang.document import copy_value
from rails.lang.grammar import LineSyntaxError, parse_line

_LINE_KINDS = {"user": "user", "intent": "user", "bot": "bot", "utter": "bot", "ask": "bot",
               "execute": "run", "run": "run", "action": "run", "event": "event",
               "do": "do", "flow": "do", "call": "do"}
_SIMPLE = {"stop": {"_type": "run_action", "action_name": "utter",
                    "action_params": {"value": "stop"}},
           "abort": {"_type": "run_action", "action_name": "utter",
                     "action_params": {"value": "stop"}},
           "break": {"_type": "break"}, "continue": {"_type": "continue"},
           "pass": {"_type": "continue"},
           "return": {"_type": "jump", "_next": "-1", "_absolute": True},
           "done": {"_type": "jump", "_next": "-1", "_absolute": True}}


def compile_coyml_flow(flow: dict) -> dict:
    """The compiled flow: `{id, elements, source_code, meta, file, line}` plus the flow's other
    keys. Raises ColangSyntaxError naming the flow and the element index on bad input."""
    if not isinstance(flow, dict) or not isinstance(flow.get("elements"), list):
        raise ColangSyntaxError("a CoYML flow is a mapping with an `elements` list")
    flow_id = flow.get("id") or flow.get("name")
    meta: dict[str, Any] = dict(flow.get("meta") or {})
    nodes = _nodes(flow["elements"], meta, str(flow_id))

    def goto_error(element: dict, message: str) -> ColangSyntaxError:
        return ColangSyntaxError(f"flow '{flow_id}': {message}")

    compiled = {key: value for key, value in flow.items() if key != "elements"}
    compiled.update({"id": flow_id, "elements": compile_body(nodes, goto_error),
                     "source_code": flow.get("source_code"), "meta": meta,
                     "file": flow.get("file"), "line": flow.get("line")})
    return compiled


def _nodes(items: list, meta: dict, flow_id: str) -> list:
    nodes: list = []
    for index, item in enumerate(items):
        where = f"flow '{flow_id}', element {index + 1}"
        if isinstance(item, list):  # a `when` alternative
            alternative = _nodes(item, meta, flow_id)
            if nodes and isinstance(nodes[-1], Branch):
                nodes[-1].alternatives.append(alternative)
            else:
                nodes.append(Branch([alternative]))
            continue
        if not isinstance(item, dict) or not item:
            raise ColangSyntaxError(f"{where}: expected a mapping like {{user: greet}}, "
                                    f"got {item!r}")
        if "_type" in item or "type" in item:
            element = copy_value(item)
            if "type" in element and "_type" not in element:
                element["_type"] = element.pop("type")
            nodes.append(element)
            continue
        nodes.extend(_element(item, meta, flow_id, where))
    return nodes


def _element(item: dict, meta: dict, flow_id: str, where: str) -> list:
    kind = next(iter(item))
    value = item[kind]
    extra = {k: v for k, v in item.items() if k != kind and not k.startswith("_")}
    private = {k: v for k, v in item.items() if k != kind and k.startswith("_")}
    if kind in _LINE_KINDS:
        element = _from_line(f"{_LINE_KINDS[kind]} {value}", where)
        _merge_params(element, extra)
        element.update(private)
        return [element]
    if kind in _SIMPLE:
        return [copy_value(_SIMPLE[kind])]
    if kind == "set":
        key, _, expression = str(value).partition("=")
        expression = expression.strip()
        if not expression:
            raise ColangSyntaxError(f"{where}: write `set: $name = expression`")
        _expression(expression, where)
        key = key.strip()
        return [{"_type": "set", "key": key[1:] if key.startswith("$") else key,
                 "expression": expression}]
    if kind == "check":
        _expression(str(value), where)
        return [{"_type": "check", "expression": str(value)}]
    if kind == "if":
        _expression(str(value), where)
        return [If({"_type": "if", "expression": str(value)},
                   _nodes(item.get("then") or [], meta, flow_id),
                   _nodes(item.get("else") or [], meta, flow_id))]
    if kind == "while":
        _expression(str(value), where)
        return [While({"_type": "while", "expression": str(value)},
                      _nodes(item.get("do") or [], meta, flow_id))]
    if kind in ("label", "checkpoint"):
        element = {"_type": "label", "name": str(value)}
        if "value" in item:
            element["value"] = item["value"]
        return [element]
    if kind == "goto":
        return [{"_type": "goto", "label": str(value)}]
    if kind == "meta":
        if not isinstance(value, dict):
            raise ColangSyntaxError(f"{where}: `meta` needs a mapping")
        meta.update(value)
        return []
    if kind in ("infer", "create", "new", "add", "post"):
        event = value[0] if isinstance(value, list) and value else value
        if isinstance(event, str):
            inner = _from_line(f"event {event}", where)
        elif isinstance(event, dict):
            inner = _element(event, meta, flow_id, where)[0]
        else:
            raise ColangSyntaxError(f"{where}: `{kind}` needs an event")
        inner.pop("_source_mapping", None)
        return [{"_type": "run_action", "action_name": "create_event",
                 "action_params": {"event": inner}}]
    raise ColangSyntaxError(f"{where}: unknown element kind `{kind}`")


def _from_line(text: str, where: str) -> dict:
    try:
        stmt = parse_line(" ".join(text.split()), "statement")
    except LineSyntaxError as error:
        raise ColangSyntaxError(f"{where}: `{text}`: {error.message}", hint=error.hint) \
            from None
    if stmt.kind == "bot":
        if stmt.name is None:
            raise ColangSyntaxError(f"{where}: `bot` needs a message name")
        return {"_type": "run_action", "action_name": "utter",
                "action_params": {"value": stmt.name, **stmt.params}}
    return copy_value(stmt.element)


def _merge_params(element: dict, extra: dict) -> None:
    if not extra:
        return
    values = {key: _to_value(value) for key, value in extra.items()}
    kind = element["_type"]
    if kind == "UserIntent":
        element["intent_params"].update(values)
    elif kind == "run_action":
        element["action_params"].update(values)
    elif kind == "flow":
        element["flow_parameters"].update(values)
    else:
        element.update(values)


def _to_value(value: Any) -> Any:
    if isinstance(value, str) and not value.startswith("$"):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    return value


def _expression(text: str, where: str) -> None:
    try:
        ex.compile_expression(text)
    except ColangSyntaxError as error:
        raise ColangSyntaxError(f"{where}: {error.message}", hint=error.hint) from None
