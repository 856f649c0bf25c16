"""The model chooses actions: the currently valid, permitted actions are offered to the LLM
(as native tool calls when the model supports them, else as a prompt), it picks some, the
engine runs them and feeds the results back, for a bounded number of steps, then answers.

Reached from a flow (`$answer = execute choose_action(actions=["A", "B"])` then
`bot $answer`), as the dialog mode `tool_use.mode: fallback` of config.yml, and from Python
(`rails.actions.choice.choose(app, messages=..., actions=[...])`)."""
from __future__ import annotations

from rails.actions.choice.api import choose, choose_sync
from rails.actions.choice.loop import ChoiceLoop, ChoiceResult
from rails.actions.choice.offer import ToolOffer, offered_tools

__all__ = ["ChoiceLoop", "ChoiceResult", "ToolOffer", "choose", "choose_sync",
           "offered_tools"]
