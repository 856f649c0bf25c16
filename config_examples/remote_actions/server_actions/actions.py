"""The actions the actions server runs for this example. They live outside the config's own
`actions.py`/`actions/`, so the engine has no local copy: it finds them on the server."""
from __future__ import annotations

import re

from rails.actions import action

# Stands in for an order database only the server can reach.
_ORDERS = {"42": "out for delivery", "1234": "shipped on Monday", "7": "being packed"}
_HOURS = {"weekdays": "9:00-18:00 on weekdays", "weekend": "10:00-14:00 on Saturdays"}


@action()
async def order_status(text: str) -> dict:
    """Find the order number in the user's message and look its state up."""
    match = re.search(r"\d+", text or "")
    if match is None:
        return {"order_id": "(no number given)", "state": "unknown: please give the number"}
    order_id = match.group(0)
    return {"order_id": order_id, "state": _ORDERS.get(order_id, "not found")}


@action()
def opening_hours(period: str = "weekdays") -> str:
    """Opening hours for `weekdays` or `weekend` (a sync action: the server runs it in a
    worker thread)."""
    return _HOURS.get(period, _HOURS["weekdays"])
