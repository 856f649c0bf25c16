"""DialogState <-> a compact, versioned, JSON-safe dict, so a conversation can continue in
another process (a restart, another worker, another server on the same Redis).

What is kept: the flow instances, the flows' and the actions' variables, the pending context
updates and the proposed next step (as the element's position, never the element itself).
What is not: `config` and `event` in the context (the runtime sets them again from its own
config and from the last event of the history) and the snapshot of the turn's start (a later
`hide_prev_turn` without one is served by replaying the history, as the reference does).

A state records a digest of the flows it was made with; a runtime whose flows differ (the
config was edited since) declines it and rebuilds the state from the events instead."""
from __future__ import annotations

from typing import Any

from rails.errors import StateError
from rails.runtime.state import ACTIVE, ABORTED, COMPLETED, INTERRUPTED, DialogState, FlowState

FORMAT_VERSION = 1
_STATUSES = frozenset({ACTIVE, INTERRUPTED, ABORTED, COMPLETED})
_UNSTORED = ("config", "event")  # set again from the runtime and the history on load


def flows_digest(index: Any) -> str:
    """Identifies the flows (ids, element counts and kinds) a state's positions refer to."""
    import hashlib  # when a state is first dumped or loaded, not at start-up

    digest = hashlib.blake2b(digest_size=9)
    for flow_id, config in index.by_id.items():
        digest.update(flow_id.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
        for element in config.elements:
            digest.update(str(element.get("_type")).encode())
            digest.update(b",")
        digest.update(b"\n")
    return digest.hexdigest()


def dump_state(state: DialogState, index: Any, digest: str) -> dict:
    """The state as plain data. Values inside the variables are shared, not copied: encode the
    result (or copy it) before the conversation goes on."""
    context = state.context
    data: dict[str, Any] = {
        "v": FORMAT_VERSION,
        "flows_digest": digest,
        "context": {key: value for key, value in context.items() if key not in _UNSTORED},
        "action_context": {key: value for key, value in state.action_context.items()
                           if key != "event"},
        "flows": [flow.to_json() for flow in state.flows],
        "processed": state.processed,
    }
    if state.context_updates:
        data["context_updates"] = dict(state.context_updates)
    if state.next_step is not None:
        data["next_step"] = [*_element_position(state, index), state.next_step_by,
                             state.next_step_priority, state.next_step_comment]
    return data


def load_state(data: Any, index: Any, digest: str, *, rails_config: Any,
               last_event: dict | None) -> DialogState | None:
    """The DialogState `data` stands for, or None when it was made with other flows (then the
    caller rebuilds it from the events). Raises StateError when `data` is not a state."""
    if not isinstance(data, dict) or data.get("v") != FORMAT_VERSION:
        version = data.get("v") if isinstance(data, dict) else None
        raise StateError(f"not a dialog state of format {FORMAT_VERSION} "
                         f"(got {'format ' + repr(version) if version is not None else type(data).__name__})")
    if data.get("flows_digest") != digest:
        return None
    try:
        state = DialogState()
        state.context = dict(_mapping(data, "context"))
        state.action_context = dict(_mapping(data, "action_context"))
        for item in data.get("flows") or ():
            flow = FlowState.from_json(item)
            config = index.by_id.get(flow.flow_id)
            if (config is None or flow.status not in _STATUSES or type(flow.head) is not int
                    or flow.head >= len(config.elements)):
                return None  # positions that do not fit these flows: rebuild instead
            state.add_flow(flow)
        state.context_updates = dict(_mapping(data, "context_updates"))
        step = data.get("next_step")
        if step is not None:
            flow_id, position, owner, priority, comment = step
            state.next_step = index.by_id[flow_id].elements[position]
            state.next_step_by, state.next_step_priority = owner, float(priority)
            state.next_step_comment = comment
        processed = data.get("processed")
        if type(processed) is not int or processed < 0:
            raise StateError("the dialog state's `processed` must be a count of events")
        state.processed = processed
    except StateError:
        raise
    except (TypeError, ValueError, KeyError, IndexError) as error:
        raise StateError(f"malformed dialog state: {type(error).__name__}: {error}") from error
    state.context["config"] = rails_config
    if last_event is not None:
        state.context["event"] = state.action_context["event"] = last_event
    return state


def _mapping(data: dict, key: str) -> dict:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StateError(f"the dialog state's `{key}` must be an object")
    return value


def _element_position(state: DialogState, index: Any) -> tuple[str, int]:
    """Where the proposed next step sits: in the owner's flow, else anywhere (rare)."""
    step = state.next_step
    owner = state.find(state.next_step_by)
    configs = [index.by_id[owner.flow_id]] if owner is not None else []
    configs += index.by_id.values()
    for config in configs:
        for position, element in enumerate(config.elements):
            if element is step:
                return config.id, position
    raise StateError("the proposed next step belongs to no known flow")
