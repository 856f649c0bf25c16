"""The model chooses actions: the currently valid, permitted actions are offered to the LLM
(as native tool calls when the model supports them, else as a prompt), it picks some, the
engine runs them and feeds the results back, for a bounded number of steps, then answers.

Reached from a flow (`$answer = execute choose_action(actions=["A", "B"])` then
`bot $answer`), as the dialog mode `tool_use.mode: fallback` of config.yml, and from Python
(`rails.actions.choice.choose(app, messages=..., actions=[...])`)."""
from __future__ import annotations

import importlib

# Imported on first use: LLMRails registers `choose_action` (rails.actions.choice.actions) in
# every config, and the loop's modules would otherwise load at start-up for configs that never
# let the model choose.
_EXPORTS = {"choose": "api", "choose_sync": "api", "ChoiceLoop": "loop",
            "ChoiceResult": "loop", "ToolOffer": "offer", "offered_tools": "offer"}

__all__ = ["ChoiceLoop", "ChoiceResult", "ToolOffer", "choose", "choose_sync",
           "offered_tools"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
