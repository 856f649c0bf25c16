"""Interactive actions: buttons on bot messages with callbacks (Chainlit's Actions), actions
that emit UI events and ask the user mid-action (Open WebUI's Action Functions), and what
neither has — questions that survive a restart, and side effects that run at most once
(named steps in a resume journal).

    from rails.interaction import Button, Message, action_callback, emit, ask, step

Guide: docs/interactive-actions.md."""
from __future__ import annotations

from rails.interaction.buttons import Action, Button, Message
from rails.interaction.callbacks import action_callback
from rails.interaction.context import ask, step
from rails.interaction.questions import CANCELLED, TIMED_OUT, NoAnswer, is_no_answer
from rails.interaction.ui_events import EVENT_TYPES, UIEvent, emit

__all__ = ["Action", "Button", "CANCELLED", "EVENT_TYPES", "Message", "NoAnswer", "TIMED_OUT",
           "UIEvent", "action_callback", "ask", "emit", "is_no_answer", "step"]
