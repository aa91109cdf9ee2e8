"""API types of the trace of one code (api.md "Trace")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from traceability.events import Checkpoint


class TraceLocation(BaseModel):
    lat: float
    lon: float
    accuracy_m: float | None = None


class TraceEvent(BaseModel):
    event_id: uuid.UUID
    checkpoint: Checkpoint
    party_id: str | None = Field(description="The scanning party; null for consumer scans.")
    to_party_id: str | None = Field(
        default=None, description="ship and dealer_ship only: the consignee."
    )
    location: TraceLocation | None = Field(description="The GPS fix of the scan, or null.")
    scanned_at: datetime
    recorded_at: datetime
    via: str | None = Field(
        default=None,
        description="Present when the event was a scan of a case or pallet that held the code "
        "at that time: the container's code (the outermost scanned one).",
    )
    verdict: Literal["genuine", "suspicious", "counterfeit"] = Field(
        description="Addition to api.md: the verdict the scan got when it was recorded."
    )


class TraceOut(BaseModel):
    code: str
    level: Literal["item", "case", "pallet"]
    gtin: str
    lot: str
    status: Literal["issued", "commissioned", "revoked"] = Field(
        description="issued (never commissioned), commissioned, or revoked (its batch was revoked)."
    )
    parent: str | None = Field(
        default=None, description="The case or pallet holding the code now; absent when none."
    )
    children_count: int = Field(description="How many codes this case or pallet holds now.")
    custodians: list[str] = Field(
        description="The parties that held the code, in order, consecutive repeats merged "
        "(docs/custody.md)."
    )
    events: list[TraceEvent] = Field(
        description="The code's own scans and those of its containers while it was inside, "
        "ordered by scanned_at (ties by recorded_at)."
    )
