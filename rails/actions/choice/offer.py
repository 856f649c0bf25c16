"""Which actions the model is offered this turn: those named (or all), that exist, whose
`validate` allows them now, and that the policy lets the model run for this user."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

_TOOL_NAME = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class ToolOffer:
    name: str               # the registered action name
    tool_name: str          # the name the model sees (OpenAI allows [A-Za-z0-9_-]{1,64})
    description: str
    parameters: dict
    metadata: Any
    needs_confirmation: bool = False

    def openai_tool(self) -> dict:
        return {"type": "function", "function": {"name": self.tool_name,
                                                 "description": self.description,
                                                 "parameters": self.parameters}}


def tool_name_for(name: str, taken: set) -> str:
    base = _TOOL_NAME.sub("_", name)[:64] or "action"
    candidate, number = base, 2
    while candidate in taken:
        suffix = f"_{number}"
        candidate, number = base[:64 - len(suffix)] + suffix, number + 1
    return candidate


async def offered_tools(dispatcher: Any, names: Optional[Iterable[str]], *,
                        message: Optional[str], context: Mapping[str, Any], state: Any = None,
                        events: Optional[list] = None, identity: Any = None,
                        config: Any = None, skip: Iterable[str] = ()) -> tuple[list, list]:
    """(offers, notes): the ToolOffers, and why each named action was left out."""
    from rails.actions.metadata import availability_arguments
    from rails.policy.audit import record_decision

    skipped = set(skip)
    candidates = list(names) if names is not None else [
        name for name in dispatcher.names() if not dispatcher.is_system_action(name)]
    offers: list[ToolOffer] = []
    notes: list[str] = []
    taken: set = set()
    seen: set = set()
    arguments = None  # what validate checks receive, built once for all of them
    for requested in candidates:
        name = dispatcher.resolve(requested)
        if name is None:
            notes.append(dispatcher.not_found_message(requested))
            continue
        if name in seen or name in skipped:
            continue
        seen.add(name)
        decision = dispatcher.decide(name, "model", identity)
        if not decision.allowed:
            if names is not None:  # asked for by name: a refusal worth recording
                record_decision(decision)
                notes.append(decision.reason)
            continue
        metadata = dispatcher.metadata(name)
        try:
            if metadata.validate is None:
                available = True
            else:
                if arguments is None:
                    arguments = availability_arguments(
                        message=message, context=context, state=state, events=events,
                        user=identity.as_context() if identity is not None else None,
                        config=config)
                available = await metadata.check_available(arguments)
        except Exception as error:  # a broken validate leaves the action out, said clearly
            notes.append(str(error))
            continue
        if not available:
            continue
        tool_name = tool_name_for(name, taken)
        taken.add(tool_name)
        offers.append(ToolOffer(name=name, tool_name=tool_name,
                                description=metadata.description or name,
                                parameters=dispatcher.parameters_schema(name),
                                metadata=metadata,
                                needs_confirmation=decision.needs_confirmation))
    return offers, notes
