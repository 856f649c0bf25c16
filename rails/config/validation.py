"""Checks that need more than the config itself: do the rails name flows that exist?"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Optional

from rails.config.problems import closest
from rails.config.rails_config import check_across_keys
from rails.errors import ConfigError

if TYPE_CHECKING:
    from rails.config.rails_config import RailsConfig

RAIL_KINDS = ("input", "output", "retrieval", "tool_output", "tool_input")


def rail_flow_id(entry: str) -> str:
    """The flow id of a rails entry, without embedded parameters:
    `content safety check input $model=shieldgemma` -> `content safety check input`."""
    return entry.split("$", 1)[0].strip()


def validate_rail_flows(config: "RailsConfig",
                        known_flow_ids: Optional[Iterable[str]] = None) -> None:
    """Raise ConfigError unless every flow named in `rails.input/output/retrieval.flows` exists
    among the config's flows, `known_flow_ids` and the built-in library flows. Entries starting
    with `content safety check` are exempt (their flows take parameters, spec §5.3). Also
    re-runs the cross-key checks, since attributes may have been changed after loading."""
    check_across_keys(config, config.config_path)

    known = {flow.get("id") for flow in config.flows if isinstance(flow, dict)}
    known.update(known_flow_ids or ())
    library_added = False
    for kind in RAIL_KINDS:
        section = getattr(config.rails, kind)
        entries = list(section.flows)
        for names in (getattr(section, "per_tool", None) or {}).values():
            entries += names  # tool rails for one tool
        for entry in entries:
            if entry.startswith("content safety check") or rail_flow_id(entry) in known:
                continue
            if not library_added:  # parsing the library is only needed now
                known.update(_library_flow_ids())
                library_added = True
                if rail_flow_id(entry) in known:
                    continue
            known.discard(None)
            raise ConfigError(_unknown_flow_message(kind, entry, known), file=config.config_path,
                              key=f"rails.{kind}.flows")


def _library_flow_ids() -> set[str]:
    from rails.library import known_flow_ids

    return known_flow_ids()


def _unknown_flow_message(kind: str, entry: str, known: set) -> str:
    from rails.library import NOT_PROVIDED

    if rail_flow_id(entry) in NOT_PROVIDED:
        return (f"'{rail_flow_id(entry)}' is a rail of NeMo Guardrails' library that "
                "dialog-rails does not provide (yet); remove it or define a flow with that id")
    # NeMo's sentence first: users' tests match on it.
    message = f"The provided {kind} rail flow `{rail_flow_id(entry)}` does not exist"
    near = closest(rail_flow_id(entry), sorted(known), n=3)
    if near:
        return message + "; closest flow names: " + ", ".join(f"'{n}'" for n in near)
    return message + "; define it in a .co file or use a built-in rail such as " + ", ".join(
        f"'{n}'" for n in sorted(known)[:5])
