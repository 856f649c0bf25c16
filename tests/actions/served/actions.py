"""Actions served by the actions server in the remote tests."""
import asyncio
import time
from typing import Optional

from rails.actions import ActionResult, action


@action()
async def echo(value, tag: str = ""):
    """Return the value (with an optional tag)."""
    return f"{tag}{value}" if tag else value


@action()
async def add(a: int, b: int = 0) -> int:
    """Add two numbers."""
    return a + b


@action()
def sync_upper(text: str) -> str:
    """A synchronous action (runs in the server's thread pool)."""
    return text.upper()


@action()
async def nap(seconds: float, value=None):
    await asyncio.sleep(seconds)
    return value


@action()
def blocking_nap(seconds: float, value=None):
    time.sleep(seconds)
    return value


@action()
async def explode(reason: str = "kaboom"):
    raise RuntimeError(reason)


@action()
async def with_result(x):
    return ActionResult(return_value={"x": x}, context_updates={"last_x": x},
                        events=[{"type": "CustomEvent", "x": x}])


@action()
async def injected_names(context: Optional[dict] = None, events=None, config=None, llm=None):
    """Specials are not injected on the server."""
    return {"context": context, "events": events, "config": config, "llm": llm}


@action()
async def not_json():
    return object()


@action(is_system_action=True, description="A system action kept for the listing test.")
async def system_only(value):
    return value
