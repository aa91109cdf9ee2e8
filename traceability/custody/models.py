"""Custody's types: events, memberships, windows, steps (the rules: `custody/chain.py`).

A scan of a case or pallet counts for everything inside it at that time. Membership of a
child in a container is the half-open interval [packed_at, unpacked_at) in scan time
(`scanned_at`), plus the unpacking scan itself (the receive that opened the container is
still a scan of the full container). Inheritance goes through containers of containers
(item → case → pallet) by intersecting the intervals. No I/O here: the risk engine builds
its custody facts from the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from geo.regions import COARSE_ERROR_M, coarse_point
from traceability.custody.values import CustodyStep as CustodyStep  # re-exported
from traceability.custody.values import EffectiveEvent as EffectiveEvent  # re-exported
from traceability.custody.values import Event as Event  # re-exported
from traceability.custody.values import Location as Location  # re-exported
from traceability.custody.values import Membership as Membership  # re-exported
from traceability.custody.values import Window as Window  # re-exported
from traceability.events import Checkpoint

MAX_DEPTH = 2
"""item → case → pallet: two levels of containers above a code."""


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """A code's registry row: what it is, where it sits now."""

    code: str
    level: str  # item | case | pallet
    gtin: str
    lot: str
    status: str  # issued | commissioned | revoked (its batch was revoked)
    plant_id: str
    parent: str | None = None
    children_count: int = 0


@dataclass(frozen=True, slots=True)
class Custody:
    """Everything known about a code's path: its row, the events that count, its holders."""

    info: CodeInfo
    events: tuple[EffectiveEvent, ...]
    steps: tuple[CustodyStep, ...]

    @property
    def custodians(self) -> list[str]:
        return [step.party_id for step in self.steps]

    def with_consumer_places_coarse(self) -> Custody:
        """The same custody with each consumer check's position rounded to 0.1° (its accuracy
        widened by the rounding): for readers who may see where a code went, not where
        consumers stood."""
        return replace(self, events=tuple(_coarse(e) for e in self.events))


def _coarse(effective: EffectiveEvent) -> EffectiveEvent:
    event, fix = effective.event, effective.event.location
    if event.checkpoint is not Checkpoint.CONSUMER_VERIFY or fix is None:
        return effective
    lat, lon = coarse_point(fix.lat, fix.lon)
    coarse = Location(lat, lon, (fix.accuracy_m or 0.0) + COARSE_ERROR_M)
    return EffectiveEvent(event.replaced(location=coarse), effective.via)


def code_status(commissioned: bool, batch_revoked: bool) -> str:
    if batch_revoked:
        return "revoked"
    return "commissioned" if commissioned else "issued"
