"""System actions that give Colang 1.0 flows buttons without any Python:

    define flow delete data
      user ask to delete data
      execute add_button(name="confirm_delete", label="Confirm Deletion")
      execute add_button(name="cancel_delete", label="Cancel")
      bot ask for confirmation

    define flow confirmed
      user clicked confirm_delete
      bot confirm deletion

The buttons join the bot message of the turn. A click becomes the user intent
`clicked <name>`, with the button (`id`, `name`, `label`, `payload`) in `$button`."""
from __future__ import annotations

from typing import Any, Optional

from rails.actions.decorator import action


@action(is_system_action=True)
async def add_button(name: str, label: Optional[str] = None, payload: Any = None,
                     tooltip: Optional[str] = None, icon: Optional[str] = None,
                     reusable: bool = False) -> None:
    from rails.interaction.buttons import Button
    from rails.interaction.context import require_turn

    require_turn("add_button").add_buttons([
        Button(name, label, payload if isinstance(payload, dict) else (
            {"value": payload} if payload is not None else None), tooltip, icon,
            reusable=bool(reusable))])


@action(is_system_action=True)
async def remove_buttons(context: Optional[dict] = None) -> None:
    """Takes away every button of the message the clicked button (`$button`) was on."""
    from rails.interaction.buttons import Button
    from rails.interaction.context import require_turn

    clicked = (context or {}).get("button")
    if isinstance(clicked, dict) and clicked.get("id"):
        turn = require_turn("remove_buttons")
        record = await turn.store.get(f"button:{clicked['id']}")
        if record is not None:
            await turn.remove_message_buttons(Button.from_record(record))
