"""Who is calling and what they may do: API tokens, roles, and the access log.

Tokens are random 256-bit strings, so one SHA-256 is enough to store them safely (a slow
password hash protects guessable secrets, not random ones). Users, tokens and the access log
live in the store's key-value space under the reserved ``opledger.`` namespaces, which the
public key-value endpoints refuse, so the service needs nothing from a backend beyond
``Store``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InvalidInput, LedgerError
from ..models import new_id, utcnow
from ..store import Store

RESERVED = "opledger."
TOKENS = "opledger.tokens"
USERS = "opledger.users"
ACCESS = "opledger.access"


class Role(StrEnum):
    DEVELOPER = "developer"
    LEAD = "lead"
    MANAGER = "manager"
    ADMIN = "admin"


_RANK = {Role.DEVELOPER: 0, Role.LEAD: 1, Role.MANAGER: 1, Role.ADMIN: 2}


class Unauthorized(LedgerError):
    """No token, or a token nobody holds."""


class Forbidden(LedgerError):
    """A known caller asking for something their role does not allow."""


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    role: Role
    team: str | None = None

    def at_least(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]

    def require(self, role: Role, what: str) -> None:
        if not self.at_least(role):
            raise Forbidden(f"{what} needs the {role.value} role or higher; {self.name} is {self.role.value}")

    def may_touch_team(self, team: str | None) -> bool:
        """Developers and leads work within their own team; team-less workflows are shared."""
        return self.role == Role.ADMIN or self.team is None or team is None or team == self.team


class NewUser(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[\w.@+-]+$")
    team: str | None = Field(default=None, max_length=100)
    role: Role = Role.DEVELOPER


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """Users and the access log, kept in the store. ``admin_token`` is the bootstrap credential."""

    def __init__(self, store: Store, admin_token: str | None) -> None:
        self.store = store
        self._admin_digest = token_digest(admin_token) if admin_token else None

    def authenticate(self, authorization: str | None) -> Principal:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send an API token: `Authorization: Bearer <token>` (set OPLEDGER_TOKEN)")
        digest = token_digest(token.strip())
        if self._admin_digest and hmac.compare_digest(digest, self._admin_digest):
            return Principal(name="admin", role=Role.ADMIN)
        found = self.store.kv_get(TOKENS, digest)
        if not found:
            raise Unauthorized("unknown or revoked API token")
        return Principal.model_validate(found)

    def add_user(self, user: NewUser) -> str:
        """Create the user and return their token (shown once, stored only as a hash)."""
        token = "olt_" + secrets.token_urlsafe(32)
        digest = token_digest(token)
        record = {"name": user.name, "team": user.team, "role": user.role.value}
        if not self.store.kv_claim(USERS, user.name, record | {"token_sha256": digest, "created_at": utcnow().isoformat()}):
            raise InvalidInput(f"user {user.name!r} already exists")
        self.store.kv_set(TOKENS, digest, record)
        return token

    def users(self) -> list[dict[str, Any]]:
        listing = getattr(self.store, "kv_items", None)
        if listing is None:
            raise InvalidInput(f"store {self.store.location} cannot list users")
        return [{k: v for k, v in value.items() if k != "token_sha256"} for _, value in listing(USERS)]

    def log(self, who: Principal, action: str, **detail: Any) -> None:
        """Record a read of a team report or an export: who, when, what."""
        entry = {"at": utcnow().isoformat(), "user": who.name, "role": who.role.value, "team": who.team, "action": action, "detail": detail}
        self.store.kv_set(ACCESS, new_id(), entry)

    def access_log(self, *, after: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        listing = getattr(self.store, "kv_items", None)
        if listing is None:
            raise InvalidInput(f"store {self.store.location} cannot list the access log")
        return [value | {"id": key} for key, value in listing(ACCESS, after=after, limit=limit)]
