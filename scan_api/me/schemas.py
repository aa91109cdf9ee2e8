"""API types of /v1/me."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from scan_api.me.models import Me, PartyRef
from traceability.events import Checkpoint


class MeParty(BaseModel):
    id: str
    kind: Literal["plant", "dealer", "retailer"]
    name: str
    parent_id: str | None = None
    suspended: bool = Field(description="Shipments to this party are refused (circuit breaker).")

    @classmethod
    def of(cls, party: PartyRef) -> MeParty:
        return cls(
            id=party.id,
            kind=party.kind,
            name=party.name,
            parent_id=party.parent_id,
            suspended=party.suspended,
        )


class MeOut(BaseModel):
    role: Literal["admin", "line", "logistics", "compliance"]
    name: str = Field(description="The token's name.")
    party: MeParty | None = Field(description="The party the token acts for (line, logistics).")
    checkpoints: list[Checkpoint] = Field(
        description="The checkpoints this token may scan at, in checkpoint order; empty for "
        "admin and compliance (consumer_verify goes through POST /v1/verify)."
    )

    @classmethod
    def of(cls, me: Me) -> MeOut:
        return cls(
            role=me.principal.role.value,
            name=me.principal.name,
            party=None if me.party is None else MeParty.of(me.party),
            checkpoints=me.checkpoints,
        )


class ShipTarget(BaseModel):
    id: str
    name: str
    kind: Literal["dealer", "retailer"]
    parent_id: str | None = None
