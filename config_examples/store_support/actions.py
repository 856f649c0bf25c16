"""Actions of the store-support example: a local order look-up and a word-list input check."""
from __future__ import annotations

import re
from typing import Optional

from rails.actions import action

# Stands in for the shop's order database.
ORDERS = {
    "JP-1001": {"status": "shipped", "detail": "It left our warehouse yesterday and should arrive in 2 days."},
    "JP-2002": {"status": "being packed", "detail": "It will ship today."},
    "JP-3003": {"status": "delivered", "detail": "It was delivered on Monday."},
}

ORDER_NUMBER = re.compile(r"\bJP-?\s?(\d{4})\b", re.IGNORECASE)
ABUSIVE_WORDS = {"idiot", "stupid", "useless", "dumb"}


@action()
async def lookup_order(context: Optional[dict] = None) -> dict:
    """Find the order named in the user's last message."""
    message = (context or {}).get("last_user_message") or ""
    match = ORDER_NUMBER.search(message)
    if not match:
        return {"found": False, "number": None}
    number = f"JP-{match.group(1)}"
    order = ORDERS.get(number)
    if order is None:
        return {"found": False, "number": number}
    return {"found": True, "number": number, **order}


@action(is_system_action=True)
async def contains_abusive_language(context: Optional[dict] = None) -> bool:
    """True when the user's message contains a word from the block list."""
    words = set(re.findall(r"[a-z']+", ((context or {}).get("user_message") or "").lower()))
    return bool(words & ABUSIVE_WORDS)
