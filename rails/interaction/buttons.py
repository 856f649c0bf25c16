"""Buttons on bot messages (Chainlit's `Action`) and the messages an action sends with them.

`Button(name, label, payload=None, tooltip=None, icon=None)`: `name` links the button to the
callback registered with `@action_callback(name)` (or to Colang flows matching
`user clicked <name>`); the payload stays on the server and reaches the callback, never a
value sent by the client. `Action` is the same class under Chainlit's name."""
from __future__ import annotations

from typing import Any, Optional

WIRE_FIELDS = ("id", "name", "label", "tooltip", "icon")


class Button:
    __slots__ = ("name", "label", "payload", "tooltip", "icon", "reusable", "id", "for_id",
                 "kind", "action")

    def __init__(self, name: str, label: Optional[str] = None, payload: Optional[dict] = None,
                 tooltip: Optional[str] = None, icon: Optional[str] = None, *,
                 reusable: bool = False, id: Optional[str] = None,
                 for_id: Optional[str] = None):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a button needs a non-empty `name` (the callback it runs), "
                             f"not {name!r}")
        if payload is not None and not isinstance(payload, dict):
            raise ValueError(f"a button's payload must be a dict, not {type(payload).__name__}")
        self.name, self.label = name, label if label else name
        self.payload = dict(payload or {})
        self.tooltip, self.icon, self.reusable = tooltip, icon, bool(reusable)
        self.id, self.for_id = id, for_id
        self.kind = "button"      # "toolbar": a message toolbar action
        self.action: Optional[str] = None  # toolbar: the Action Function to run

    def wire(self) -> dict:
        """What a client sees: never the payload."""
        out = {key: getattr(self, key) for key in WIRE_FIELDS}
        if self.kind != "button":
            out["kind"] = self.kind
        return out

    def record(self) -> dict:
        return {"id": self.id, "name": self.name, "label": self.label, "payload": self.payload,
                "tooltip": self.tooltip, "icon": self.icon, "reusable": self.reusable,
                "message_id": self.for_id, "kind": self.kind, "action": self.action}

    @classmethod
    def from_record(cls, record: dict) -> "Button":
        button = cls(record["name"], record.get("label"), record.get("payload"),
                     record.get("tooltip"), record.get("icon"),
                     reusable=bool(record.get("reusable")), id=record.get("id"),
                     for_id=record.get("message_id"))
        button.kind = record.get("kind") or "button"
        button.action = record.get("action")
        return button

    @classmethod
    def from_spec(cls, spec: Any, where: str) -> "Button":
        """A button from config data (`{name, label, payload, tooltip, icon, reusable}`)."""
        if isinstance(spec, Button):
            return spec
        if not isinstance(spec, dict):
            raise ValueError(f"{where}: a button is a mapping {{name, label, payload, tooltip, "
                             f"icon}}, not {type(spec).__name__}")
        unknown = set(spec) - {"name", "label", "payload", "tooltip", "icon", "reusable"}
        if unknown:
            raise ValueError(f"{where}: unknown button key(s) {', '.join(sorted(unknown))}")
        return cls(spec.get("name"), spec.get("label"), spec.get("payload"),
                   spec.get("tooltip"), spec.get("icon"), reusable=bool(spec.get("reusable")))

    # -- inside an action run ----------------------------------------------------------------

    async def send(self, for_id: Optional[str] = None) -> "Button":
        """Attaches the button to the bot message of the current turn."""
        from rails.interaction.context import require_turn

        require_turn("Button.send()").add_buttons([self])
        return self

    async def remove(self) -> None:
        """Takes this button off its message: later clicks answer "no longer available"."""
        from rails.interaction.context import require_turn

        await require_turn("Button.remove()").remove_buttons([self])

    async def remove_all(self) -> None:
        """Takes every button of this button's message away."""
        from rails.interaction.context import require_turn

        await require_turn("Button.remove_all()").remove_message_buttons(self)

    def __repr__(self) -> str:
        return f"Button(name={self.name!r}, label={self.label!r}, id={self.id!r})"


Action = Button  # Chainlit's name, so `cl.Action(...)` ports unchanged


class Message:
    """A bot message an action sends, optionally with buttons (`actions=` is Chainlit's
    spelling): `await Message(content="Sure?", actions=[Button(...)]).send()`."""

    def __init__(self, content: Any = "", actions: Optional[list] = None,
                 buttons: Optional[list] = None, author: Optional[str] = None, **_ignored: Any):
        self.content = "" if content is None else str(content)
        self.buttons = list(buttons or []) + list(actions or [])
        for button in self.buttons:
            if not isinstance(button, Button):
                raise ValueError(f"a message's actions/buttons must be Button objects, not "
                                 f"{type(button).__name__}")
        self.author = author
        self.id: Optional[str] = None

    @property
    def actions(self) -> list:
        return self.buttons

    async def send(self) -> "Message":
        from rails.interaction.context import require_turn

        require_turn("Message.send()").send_message(self)
        return self

    async def remove_actions(self) -> None:
        for button in self.buttons:
            await button.remove()
