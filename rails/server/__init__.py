"""HTTP side of dialog-rails: the OpenAI-compatible chat server (`create_app`, `dialog-rails
serve`) and the actions server. Nothing heavy is imported until a server is built."""
from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    """The chat-completions ASGI app; see `rails.server.app.create_app`."""
    from rails.server.app import create_app as build

    return build(*args, **kwargs)
