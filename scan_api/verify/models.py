"""The types of consumer verification: a check as requested, as loaded, a decided group.

The verdict, reasons, message and loyalty decision themselves are `risk_engine.consumer`;
rows and texts are `rows.py`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from geo.regions import Region
from risk_engine.consumer import Reason as ConsumerReason
from risk_engine.models import (
    GeoFix,
    SignatureCheck,
)
from risk_engine.service import Reads
from traceability.frozen import fast_init

NOT_AN_ITEM = "not_an_item"
"""Loyalty reason of this package: only item codes pay (case and pallet codes do not)."""


@dataclass(frozen=True, slots=True)
class VerifiedGroup:
    answers: list[dict[str, Any]]
    events: list[dict[str, Any]]  # as risk_row gives them
    registry: dict[str, Any]  # code -> its registry row (codes, batch, product)
    unsaved: list[tuple[Any, ...]]  # the checks to insert (repository.insert_checks)
    claims: list[tuple[Any, ...]]  # their loyalty claims, at most one per code
    clones: list[tuple[Any, ...]]  # clone findings to store (repository.insert_checks)
    reads: Reads | None = None  # the risk engine's facts, read while the checks were decided


@fast_init
@dataclass(frozen=True, slots=True)
class VerifyRequest:
    payload: str
    location: GeoFix | None = None
    consumer_id: str | None = None
    pin: str | None = None
    network: str | None = None  # keyed hash of the client's network (verify/networks.py)


@fast_init
@dataclass(frozen=True, slots=True)
class LoadedCheck:
    """One consumer check with everything loaded for it."""

    req: VerifyRequest
    event_id: uuid.UUID
    now: datetime
    code: str | None
    row: asyncpg.Record | None
    signature: SignatureCheck
    earlier: list[dict[str, Any]]  # earlier consumer checks of the code, oldest first
    here: Region | None
    first_place: str | None  # where the code was first checked: that answer's region label
    unread: int = 0  # earlier checks of the code not in `earlier` (a stored clone finding)
    known_clone: tuple[ConsumerReason, ...] = ()  # the code's stored clone finding

    @property
    def verification_count(self) -> int:
        """Consumer checks of the code, this one included."""
        return len(self.earlier) + self.unread + 1

    @property
    def is_item(self) -> bool:
        return self.row is not None and self.row["level"] == "item"

    @property
    def inner_required(self) -> bool:
        return bool(self.row is not None and self.row["inner_code_required"])

    @property
    def first_at(self) -> datetime:
        first: datetime = self.earlier[0]["scanned_at"] if self.earlier else self.now
        return first
