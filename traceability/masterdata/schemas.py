"""API types for master data. Inputs forbid unknown members; names are 1-200 characters."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from traceability.identifiers import CLIENT_ID_PATTERN
from traceability.masterdata.models import (
    Authorization,
    Party,
    PartyKind,
    Product,
    Sanction,
    SanctionAction,
    Territory,
)
from traceability.text import storable_text

ClientId = Annotated[str, Field(pattern=CLIENT_ID_PATTERN, min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(storable_text)]
Reason = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(storable_text)]
Currency = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. CNY.", examples=["CNY"])
]
UnitValue = Annotated[
    Decimal,
    Field(
        ge=0,
        max_digits=14,
        decimal_places=4,
        description=(
            "Value of one unit (used for penalties): a decimal string (preferred) or JSON "
            "number, >= 0, at most 10 integer digits and 4 decimal places. Never a float."
        ),
        examples=["12.50"],
    ),
]
Latitude = Annotated[float, Field(strict=True, ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(strict=True, ge=-180, le=180, allow_inf_nan=False)]
GtinInput = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="GTIN-8/12/13/14 with a valid check digit; stored as GTIN-14.",
    ),
]


def format_amount(value: Decimal) -> str:
    """A decimal string with at least two and at most four decimal places: "12.50"."""
    whole, _, frac = format(value, "f").partition(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return f"{whole}.{frac}"


# ---------------------------------------------------------------- products


class ProductPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    unit_value: UnitValue
    currency: Currency
    inner_code_required: bool = Field(
        default=False,
        strict=True,
        description="Consumers must enter the inner code before loyalty points are paid.",
    )


class ProductOut(BaseModel):
    gtin: str = Field(description="GTIN-14.")
    name: str
    unit_value: str = Field(description='Decimal string, e.g. "12.50".', examples=["12.50"])
    currency: str
    inner_code_required: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls(
            gtin=product.gtin,
            name=product.name,
            unit_value=format_amount(product.unit_value),
            currency=product.currency,
            inner_code_required=product.inner_code_required,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )


# ---------------------------------------------------------------- parties


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: Latitude
    lon: Longitude


class PartyPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: PartyKind
    name: Name
    parent_id: ClientId | None = Field(
        default=None, description="The parent party (e.g. the dealer of a sub-dealer)."
    )
    location: Location


class PartyOut(BaseModel):
    id: str
    kind: PartyKind
    name: str
    parent_id: str | None
    location: Location
    suspended: bool = Field(description="Shipments to this party are refused (circuit breaker).")
    suspended_at: datetime | None
    suspension_reason: str | None
    blacklisted: bool = Field(description="Blacklisted; a blacklisted party is also suspended.")
    blacklisted_at: datetime | None
    blacklist_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, party: Party) -> PartyOut:
        return cls(
            id=party.id,
            kind=party.kind,
            name=party.name,
            parent_id=party.parent_id,
            location=Location(lat=party.lat, lon=party.lon),
            suspended=party.suspended,
            suspended_at=party.suspended_at,
            suspension_reason=party.suspension_reason,
            blacklisted=party.blacklisted,
            blacklisted_at=party.blacklisted_at,
            blacklist_reason=party.blacklist_reason,
            created_at=party.created_at,
            updated_at=party.updated_at,
        )


class SanctionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class SanctionOut(BaseModel):
    id: int
    party_id: str
    action: SanctionAction
    reason: str | None
    actor: str
    actor_token_id: uuid.UUID | None = Field(
        description="The token the action was taken with: token names are not unique. "
        "Null for lines written before it was recorded."
    )
    at: datetime

    @classmethod
    def of(cls, sanction: Sanction) -> SanctionOut:
        return cls(
            id=sanction.id,
            party_id=sanction.party_id,
            action=sanction.action,
            reason=sanction.reason,
            actor=sanction.actor,
            actor_token_id=sanction.actor_token_id,
            at=sanction.at,
        )


# ---------------------------------------------------------------- territories

_GEOMETRY_EXAMPLE = {
    "type": "Polygon",
    "coordinates": [[[121.0, 31.0], [122.0, 31.0], [122.0, 32.0], [121.0, 32.0], [121.0, 31.0]]],
}


class TerritoryPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    geometry: dict[str, Any] = Field(
        description=(
            "GeoJSON Polygon or MultiPolygon, WGS84, [lon, lat] positions (an altitude is "
            "accepted and dropped). Rings must be closed (first position repeated as last), "
            "have >= 4 positions, be valid (no self-intersection) and enclose a non-zero area; "
            "at most 10000 positions in all."
        ),
        examples=[_GEOMETRY_EXAMPLE],
    )


class TerritoryOut(BaseModel):
    id: str
    name: str
    geometry: dict[str, Any]
    bbox: list[float] = Field(description="[min_lon, min_lat, max_lon, max_lat]")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, territory: Territory) -> TerritoryOut:
        return cls(
            id=territory.id,
            name=territory.name,
            geometry=territory.geometry,
            bbox=[territory.min_lon, territory.min_lat, territory.max_lon, territory.max_lat],
            created_at=territory.created_at,
            updated_at=territory.updated_at,
        )


# ---------------------------------------------------------------- authorizations


class AuthorizationPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gtins: list[GtinInput] | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Products the party may sell there; absent or null: every product.",
    )


class AuthorizationOut(BaseModel):
    party_id: str
    territory_id: str
    gtins: list[str] | None = Field(description="GTIN-14s; null: every product.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, authorization: Authorization) -> AuthorizationOut:
        return cls(
            party_id=authorization.party_id,
            territory_id=authorization.territory_id,
            gtins=None if authorization.gtins is None else list(authorization.gtins),
            created_at=authorization.created_at,
            updated_at=authorization.updated_at,
        )
