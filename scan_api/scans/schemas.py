"""API types of scans."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from traceability.db.columns import float4
from traceability.events import Checkpoint
from traceability.identifiers import CLIENT_ID_PATTERN

MAX_PAYLOAD_BYTES = 512
MAX_BATCH = 1000
MAX_CHILDREN = 1000
# No scan is older than the service; older dates are typos (and year 0 would not read back).
EARLIEST_SCAN = datetime(2000, 1, 1, tzinfo=UTC)
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?")


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # strict: a number, never `true` or "12" coerced into one
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, strict=True)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, strict=True)]
    accuracy_m: Annotated[
        float | None, Field(ge=0, le=1_000_000, allow_inf_nan=False, strict=True)
    ] = None

    @field_validator("accuracy_m")
    @classmethod
    def _storable(cls, value: float | None) -> float | None:
        """The column is a `real`: a positive value it would round to 0 (below ~1e-45) makes
        PostgreSQL refuse the whole insert (underflow), so it is refused here, alone."""
        if value is not None and value > 0 and float4(value) == 0:
            raise ValueError("accuracy_m must be 0 or at least 1e-45 metres")
        return value


SCANNER_WHITESPACE = " \t\r\n"
"""What a scanner adds around the code (a keyboard-wedge scanner types Enter or Tab after
it). Never part of a code: the canonical form has no whitespace (docs/code-format.md)."""


def scanned_payload(value: str) -> str:
    """The payload as scanned, without the scanner's surrounding whitespace; text a database
    can store, at most MAX_PAYLOAD_BYTES. A genuine code read with a trailing CR/LF was a
    high counterfeit alert."""
    value = value.strip(SCANNER_WHITESPACE)
    if not value:
        raise ValueError("payload must not be blank")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates: no database could store them
        raise ValueError("payload must be valid Unicode text") from None
    if size > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload must be at most {MAX_PAYLOAD_BYTES} bytes")
    if "\x00" in value:
        raise ValueError("payload must not contain NUL")
    return value


Payload = Annotated[str, Field(min_length=1, strict=True)]


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: uuid.UUID
    payload: Payload
    checkpoint: Checkpoint
    scanned_at: AwareDatetime
    location: Location | None = Field(
        default=None,
        description="GPS fix. When absent, the risk rules use the scanning party's registered "
        "location; the scan itself is stored (and traced) without one.",
    )
    to_party_id: Annotated[str | None, Field(pattern=CLIENT_ID_PATTERN)] = None
    children: Annotated[list[Payload] | None, Field(max_length=MAX_CHILDREN)] = None
    unpack: bool = Field(  # strict: "yes" or 1 must not empty a container
        default=False,
        strict=True,
        description="The scanned container was opened: its contents leave it at scanned_at "
        "(pack, dealer_receive, retail_receive).",
    )

    @field_validator("payload")
    @classmethod
    def _payload_size(cls, value: str) -> str:
        return scanned_payload(value)

    @field_validator("scanned_at", mode="before")
    @classmethod
    def _timestamp_text(cls, value: object) -> object:
        """Pydantic reads numbers, and text that is one, as Unix time: refused here."""
        number = isinstance(value, int | float) or (
            isinstance(value, str) and _NUMBER.fullmatch(value.strip()) is not None
        )
        if number:
            raise ValueError("must be an RFC 3339 timestamp with offset, not a number")
        return value

    @field_validator("scanned_at")
    @classmethod
    def _not_before_the_service(cls, value: datetime) -> datetime:
        if value < EARLIEST_SCAN:
            raise ValueError("is before 2000-01-01T00:00:00Z")
        return value

    @field_validator("children")
    @classmethod
    def _children_size(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [scanned_payload(child) for child in value]


class ScanOut(BaseModel):
    event_id: uuid.UUID
    code: str | None
    checkpoint: Checkpoint
    verdict: Literal["genuine", "suspicious", "counterfeit"]
    reason: str | None = None
    alert_ids: list[str] = Field(default_factory=list)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scans: Annotated[
        list[Any],
        Field(
            min_length=1,
            max_length=MAX_BATCH,
            description="Scan objects as POST /v1/scans takes them; each is validated on its "
            "own, so a bad one (even one that is not an object) is rejected alone.",
            # Documented as what they should be; accepted as anything, to be judged one by one.
            json_schema_extra={"items": {"$ref": "#/components/schemas/ScanIn"}},
        ),
    ]


class BatchResult(BaseModel):
    event_id: str | None
    status: Literal["created", "duplicate", "rejected"]
    code: str | None = None
    verdict: str | None = None
    reason: str | None = None
    alert_ids: list[str] | None = None
    error: dict[str, Any] | None = None


class BatchOut(BaseModel):
    results: list[BatchResult]
