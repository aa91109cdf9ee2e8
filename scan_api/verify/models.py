"""The types of consumer verification: a check as requested, as loaded, a decided group.

The verdict, reasons, message and loyalty decision themselves are `risk_engine.consumer`;
rows and texts are `rows.py`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final

import asyncpg

from geo.regions import Region
from risk_engine.consumer import Reason as ConsumerReason
from risk_engine.models import (
    GeoFix,
    SignatureCheck,
)
from risk_engine.service import Reads
from traceability.value import Value

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


class VerifyRequest(Value):
    names: ClassVar[tuple[str, ...]] = ("payload", "location", "consumer_id", "pin", "network")
    __slots__ = names

    def __init__(
        self,
        payload: str,
        location: GeoFix | None = None,
        consumer_id: str | None = None,
        pin: str | None = None,
        network: str | None = None,
    ) -> None:
        self.payload: Final = payload
        self.location: Final = location
        self.consumer_id: Final = consumer_id
        self.pin: Final = pin
        self.network: Final = network  # keyed hash of the client's network (verify/networks.py)


class LoadedCheck(Value):
    """One consumer check with everything loaded for it."""

    names: ClassVar[tuple[str, ...]] = (
        "req",
        "event_id",
        "now",
        "code",
        "row",
        "signature",
        "earlier",
        "here",
        "first_place",
        "unread",
        "known_clone",
    )
    __slots__ = names

    def __init__(
        self,
        req: VerifyRequest,
        event_id: uuid.UUID,
        now: datetime,
        code: str | None,
        row: asyncpg.Record | None,
        signature: SignatureCheck,
        earlier: list[dict[str, Any]],
        here: Region | None,
        first_place: str | None,
        unread: int = 0,
        known_clone: tuple[ConsumerReason, ...] = (),
    ) -> None:
        self.req: Final = req
        self.event_id: Final = event_id
        self.now: Final = now
        self.code: Final = code
        self.row: Final = row
        self.signature: Final = signature
        self.earlier: Final = earlier  # earlier consumer checks of the code, oldest first
        self.here: Final = here
        # where the code was first checked: that answer's region label
        self.first_place: Final = first_place
        # earlier checks of the code not in `earlier` (a stored clone finding)
        self.unread: Final = unread
        self.known_clone: Final = known_clone  # the code's stored clone finding

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
