"""The identity a request runs as: user id, roles and organisation.

In Python it arrives as the `user` context variable:
`messages=[{"role": "context", "content": {"user": {"id": "u-7", "roles": ["support"],
"organisation": "acme"}}}, {"role": "user", "content": ...}]` (code is trusted to say who the
user is). Over HTTP, the chat server takes it from the `X-User-Id`, `X-User-Roles` (comma
separated) and `X-Org-Id` headers only when started with `--trust-identity-headers` (behind
a gateway that authenticates users and sets them); a client's own `context.user` is always
dropped, so nobody grants themselves a role. The actions server takes the organisation from
`X-Org-Id`, behind its bearer token."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

ANONYMOUS_ID = None


@dataclass(frozen=True)
class Identity:
    id: Optional[str] = None
    roles: frozenset = frozenset()
    organisation: Optional[str] = None

    def as_context(self) -> dict:
        return {"id": self.id, "roles": sorted(self.roles), "organisation": self.organisation}

    def describe(self) -> str:
        who = self.id or "anonymous"
        roles = f" with roles {', '.join(sorted(self.roles))}" if self.roles else " with no role"
        org = f" of organisation {self.organisation}" if self.organisation else ""
        return who + roles + org


ANONYMOUS = Identity()


def identity_from_context(context: Optional[Mapping[str, Any]]) -> Identity:
    """The identity of the `user` context variable (anonymous when absent or malformed)."""
    user = (context or {}).get("user")
    if isinstance(user, Identity):
        return user
    if not isinstance(user, Mapping):
        return ANONYMOUS
    roles = user.get("roles") or ()
    if isinstance(roles, str):
        roles = [part.strip() for part in roles.split(",")]
    organisation = user.get("organisation", user.get("organization", user.get("org_id")))
    return Identity(id=_text(user.get("id")),
                    roles=frozenset(str(role) for role in roles if str(role).strip()),
                    organisation=_text(organisation))


def identity_from_headers(headers: Mapping[str, str]) -> Identity:
    roles = headers.get("x-user-roles") or ""
    return Identity(id=headers.get("x-user-id") or None,
                    roles=frozenset(part.strip() for part in roles.split(",") if part.strip()),
                    organisation=headers.get("x-org-id") or None)


def _text(value: Any) -> Optional[str]:
    return None if value is None or value == "" else str(value)
