"""Actions showing parameter injection. Each special parameter is passed only because the
function's signature names it."""
from __future__ import annotations

import re
from typing import Optional

from rails.actions import ActionResult, action


@action(name="get_exchange_rate")
async def exchange_rate(text: str, config=None, rates_provider=None) -> dict:
    """`text` comes from the flow; `config` is the RailsConfig; `rates_provider` was registered
    in config.py with `register_action_param`."""
    target = config.custom_data.get("currency", "EUR")
    match = re.search(r"\b([A-Z]{3})\b", text or "")
    source = match.group(1) if match else "USD"
    return {"source": source, "target": target, "rate": rates_provider.rate(source, target),
            "provider": rates_provider.name}


@action()
async def count_turns(events: Optional[list] = None) -> ActionResult:
    """`events` is the whole history; the result lands in `$turns` through a context update."""
    turns = sum(1 for event in events or [] if event["type"] == "UtteranceUserActionFinished")
    return ActionResult(return_value=turns, context_updates={"turns": turns})
