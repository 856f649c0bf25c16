"""Who a chat-completions request runs as (rails.policy reads the `user` context variable).

A client cannot say it: a `user` key in the request's `context` (or in its context messages)
is dropped. With `dialog-rails serve --trust-identity-headers` (behind a gateway that
authenticates users and sets them) the `X-User-Id`, `X-User-Roles` (comma separated) and
`X-Org-Id` headers are the identity; otherwise the request is anonymous. Every request states
its identity afresh (when trusted), so one kept in a thread's history never carries over."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from rails.policy.identity import ANONYMOUS, Identity, identity_from_headers

log = logging.getLogger("rails.server")


def apply_identity(request: Any, headers: Mapping[str, str], trusted: bool) -> None:
    for message in request.messages:
        content = message.get("content")
        if message.get("role") == "context" and isinstance(content, dict) and "user" in content:
            log.warning("dropped `user` from a request's context: the identity comes from "
                        "trusted headers only (serve --trust-identity-headers)")
            message["content"] = {key: value for key, value in content.items()
                                  if key != "user"}
    if not trusted:
        return  # anonymous (and no identity was ever stored in a thread by this server)
    identity = identity_from_headers({key.lower(): value for key, value in headers.items()})
    user = identity.as_context() if identity.id or identity.roles or identity.organisation \
        else None
    # Stated on every request (None: anonymous), so one kept in the thread never carries over.
    request.messages.insert(0, {"role": "context", "content": {"user": user}})


def headers_identity(headers: Mapping[str, str], trusted: bool) -> Identity:
    """Who a request that carries no messages (a button click) runs as: the identity headers
    when trusted, else anonymous (never one kept in the thread's history)."""
    if not trusted:
        return ANONYMOUS
    return identity_from_headers({key.lower(): value for key, value in headers.items()})
