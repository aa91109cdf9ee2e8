"""Master data as the rest of the service sees it: products, parties, territories, rights."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class PartyKind(enum.StrEnum):
    PLANT = "plant"
    DEALER = "dealer"
    RETAILER = "retailer"


class SanctionAction(enum.StrEnum):
    SUSPEND = "suspend"
    LIFT = "lift"
    BLACKLIST = "blacklist"


@dataclass(frozen=True, slots=True)
class Product:
    gtin: str
    name: str
    unit_value: Decimal
    currency: str
    inner_code_required: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Party:
    id: str
    kind: PartyKind
    name: str
    parent_id: str | None
    lat: float
    lon: float
    suspended_at: datetime | None
    suspension_reason: str | None
    blacklisted_at: datetime | None
    blacklist_reason: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def suspended(self) -> bool:
        """Shipments to a suspended party are refused (circuit breaker); blacklisting suspends."""
        return self.suspended_at is not None

    @property
    def blacklisted(self) -> bool:
        return self.blacklisted_at is not None


@dataclass(frozen=True, slots=True)
class Territory:
    id: str
    name: str
    geometry: dict[str, Any]
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Authorization:
    """A party may sell in a territory: every product when `gtins` is None."""

    party_id: str
    territory_id: str
    gtins: tuple[str, ...] | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Sanction:
    id: int
    party_id: str
    action: SanctionAction
    reason: str | None
    actor: str
    actor_token_id: uuid.UUID | None  # the token it was done with (names are not unique)
    at: datetime


@dataclass(frozen=True, slots=True)
class Upserted(Generic[T]):
    """The stored value and whether the PUT created it (201) or replaced it (200)."""

    value: T
    created: bool
