"""Who is calling: roles and the principal a bearer token stands for."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass


class Role(enum.StrEnum):
    ADMIN = "admin"
    LINE = "line"
    LOGISTICS = "logistics"
    COMPLIANCE = "compliance"


PARTY_BOUND_ROLES = frozenset({Role.LINE, Role.LOGISTICS})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, as audit lines record it: the name shown, and the token it was done
    with (names are not unique). No token: the system itself."""

    name: str
    token_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: uuid.UUID
    name: str
    role: Role
    party_id: str | None
    party_kind: str | None

    @property
    def actor(self) -> str:
        """How this caller appears in audit logs."""
        return f"{self.role.value}:{self.name}"

    @property
    def audit(self) -> Actor:
        """The caller as an audit line names it: `actor` and the token's id."""
        return Actor(self.actor, self.token_id)
