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
