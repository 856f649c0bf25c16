"""Flows given in YAML in NeMo's CoYML form (`flows: [{id, elements: [{user: x}, ...]}]`) are
compiled to the element lists `.co` flows have (spec §2.1)."""
from __future__ import annotations

from typing import Any, Optional

from rails.errors import ColangSyntaxError, ConfigError


def needs_compiling(flow: Any) -> bool:
    elements = flow.get("elements") if isinstance(flow, dict) else None
    return bool(elements) and not (isinstance(elements[0], dict) and "_type" in elements[0])


def compile_coyml_flows(flows: list, file: Optional[str] = None) -> list:
    """The flows with every CoYML flow compiled; already compiled flows are kept as they are."""
    if not isinstance(flows, list) or not any(needs_compiling(flow) for flow in flows):
        return flows
    from rails.lang import compile_coyml_flow

    compiled = []
    for position, flow in enumerate(flows):
        if not needs_compiling(flow):
            compiled.append(flow)
            continue
        try:
            compiled.append(compile_coyml_flow(flow))
        except (ColangSyntaxError, ValueError, TypeError, KeyError) as exc:
            name = flow.get("id") or flow.get("name") or f"#{position + 1}"
            raise ConfigError(f"flow '{name}' cannot be compiled: {exc}", file=file,
                              key=f"flows[{position}]") from exc
    return compiled
