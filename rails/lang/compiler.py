"""Flow bodies (nested nodes) -> the flat element list with relative jumps (spec §2.3)."""
from __future__ import annotations

from typing import Callable, Union


class If:
    __slots__ = ("element", "then", "orelse")

    def __init__(self, element: dict, then: list, orelse: list):
        self.element, self.then, self.orelse = element, then, orelse


class While:
    __slots__ = ("element", "body")

    def __init__(self, element: dict, body: list):
        self.element, self.body = element, body


class Branch:
    """`when` / `else when` alternatives; each alternative starts with its head pattern."""

    __slots__ = ("alternatives",)

    def __init__(self, alternatives: list):
        self.alternatives = alternatives


Node = Union[dict, If, While, Branch]
ErrorFactory = Callable[[dict, str], Exception]


def compile_body(nodes: list, error: ErrorFactory) -> list[dict]:
    """The flat elements of a flow body, with labels and gotos resolved to jumps."""
    return resolve_gotos(flatten(nodes), error)


def flatten(nodes: list) -> list[dict]:
    out: list[dict] = []
    for node in nodes:
        if isinstance(node, dict):
            out.append(node)
        elif isinstance(node, If):
            then, orelse = flatten(node.then), flatten(node.orelse)
            element = node.element
            element["_next_else"] = len(then) + 1
            out.append(element)
            out.extend(then)
            if orelse:
                out.append(_jump(len(orelse) + 1, element))
                element["_next_else"] += 1
                out.extend(orelse)
        elif isinstance(node, While):
            body = flatten(node.body)
            n = len(body)
            node.element["_next_on_break"] = n + 2
            for j, element in enumerate(body):
                if "_next_on_break" not in element:  # inner loops keep their own targets
                    element["_next_on_break"] = n + 1 - j
                    element["_next_on_continue"] = -j - 1
            out.append(node.element)
            out.extend(body)
            out.append(_jump(-(n + 1), node.element))
        else:
            alternatives = [flatten(alternative) for alternative in node.alternatives]
            branch: dict = {"_type": "branch", "branch_heads": []}
            position = len(out)
            out.append(branch)
            for index, alternative in enumerate(alternatives):
                branch["branch_heads"].append(len(out) - position)
                out.extend(alternative)
                if index == 0 and alternative and "_source_mapping" in alternative[0]:
                    branch["_source_mapping"] = alternative[0]["_source_mapping"]
                remaining = sum(len(rest) + 1 for rest in alternatives[index + 1:])
                out.append(_jump(1 + remaining, branch))
    return out


def _jump(offset: int, owner: dict) -> dict:
    jump = {"_type": "jump", "_next": offset}
    if "_source_mapping" in owner:
        jump["_source_mapping"] = owner["_source_mapping"]
    return jump


def resolve_gotos(elements: list[dict], error: ErrorFactory) -> list[dict]:
    labels: dict[str, int] = {}
    for index, element in enumerate(elements):
        if element["_type"] == "label":
            name = element.pop("name")
            if name in labels:
                raise error(element, f"label '{name}' is defined twice in this flow")
            labels[name] = index
            element["_type"] = "jump"
            element["_next"] = 1
            element["_label"] = name
            value = element.pop("value", None)
            if value:
                element["_label_value"] = value
            element["_debug"] = f"label: {name}"
    for index, element in enumerate(elements):
        if element["_type"] == "goto":
            name = element.pop("label")
            if name not in labels:
                raise error(element, f"`goto {name}`: no label '{name}' in this flow")
            element["_type"] = "jump"
            element["_next"] = labels[name] - index
            element["_debug"] = f"goto {name}"
    return elements
