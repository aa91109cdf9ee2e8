"""API types of consumer verification."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from codegen.inner_codes import PIN_PATTERN as INNER_CODE_PATTERN
from scan_api.scans.schemas import Location, scanned_payload
from traceability.identifiers import CLIENT_ID_PATTERN

PIN_PATTERN = INNER_CODE_PATTERN  # the upload's (codegen/inner_codes.py)


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payload: Annotated[str, Field(min_length=1, strict=True, description="The scanned QR text.")]
    location: Location | None = Field(
        default=None, description="The phone's GPS fix; only a coarse region is ever shown."
    )
    consumer_id: Annotated[
        str | None,
        Field(
            strict=True,
            pattern=CLIENT_ID_PATTERN,
            description="The mini-app's consumer/device id; needed to collect points.",
        ),
    ] = None
    pin: Annotated[
        str | None,
        Field(
            strict=True,
            pattern=PIN_PATTERN,
            description="The inner code printed inside the package or under the cap.",
        ),
    ] = None

    @field_validator("payload")
    @classmethod
    def _payload_size(cls, value: str) -> str:
        return scanned_payload(value)


class ProductOut(BaseModel):
    gtin: str
    name: str
    lot: str
    expiry: date | None = None


class VerifyOut(BaseModel):
    verdict: Literal["genuine", "suspicious", "counterfeit"]
    reason: str | None = Field(
        default=None,
        description="Machine-readable: malformed_payload, unknown_code, bad_signature, "
        "revoked_key, revoked_batch, never_commissioned, verified_elsewhere, too_many_checks; "
        "expired on a genuine product.",
    )
    product: ProductOut | None = None
    verification_count: int = Field(description="Consumer checks of this code, this one included.")
    first_verified_at: datetime | None = None
    first_verified_region: str | None = Field(
        default=None, description="Territory name or a rounded 'lat, lon' of the first check."
    )
    points_awarded: int
    loyalty_reason: str | None = Field(
        default=None, description="Why no points were paid (machine-readable); null when paid."
    )
    message: str
