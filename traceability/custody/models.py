"""Pure custody rules: which events count for a code, and who held it (docs/custody.md).

A scan of a case or pallet counts for everything inside it at that time. Membership of a
child in a container is the half-open interval [packed_at, unpacked_at) in scan time
(`scanned_at`), plus the unpacking scan itself (the receive that opened the container is
still a scan of the full container). Inheritance goes through containers of containers
(item → case → pallet) by intersecting the intervals. No I/O here: the risk engine builds
its custody facts from the same functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from geo.regions import COARSE_ERROR_M, coarse_point
from traceability.events import RECEIVING, SHIPPING, Checkpoint
from traceability.frozen import fast_init

MAX_DEPTH = 2
"""item → case → pallet: two levels of containers above a code."""

# Scans that show the scanning party physically held the goods.
_HOLDING = frozenset(
    {
        Checkpoint.COMMISSION,
        Checkpoint.PACK,
        Checkpoint.WAREHOUSE_IN,
        Checkpoint.RETAIL_SELL,
        *SHIPPING,
        *RECEIVING,
    }
)


# Plain dict lookup: Enum(value) is measurably slow when thousands of rows are converted.
_CHECKPOINTS = {c.value: c for c in Checkpoint}


@fast_init
@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float
    accuracy_m: float | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class Event:
    """One stored scan of one code (an item, a case or a pallet)."""

    event_id: str
    code: str
    checkpoint: Checkpoint
    party_id: str | None
    scanned_at: datetime
    recorded_at: datetime
    to_party_id: str | None = None
    location: Location | None = None
    verdict: str = "genuine"
    unpack: bool = False

    @property
    def counterfeit(self) -> bool:
        return self.verdict == "counterfeit"

    @classmethod
    def from_row(cls, row: Any) -> Event:
        """From a `scan_events` row (or any mapping with its columns)."""
        location = None
        if row["lat"] is not None and row["lon"] is not None:
            accuracy = row["accuracy_m"]
            location = Location(
                row["lat"], row["lon"], float(accuracy) if accuracy is not None else None
            )
        return cls(
            event_id=str(row["event_id"]),
            code=row["code"],
            checkpoint=_CHECKPOINTS[row["checkpoint"]],
            party_id=row["party_id"],
            scanned_at=row["scanned_at"],
            recorded_at=row["recorded_at"],
            to_party_id=row["to_party_id"],
            location=location,
            verdict=row["verdict"],
            unpack=row["unpack"],
        )


@fast_init
@dataclass(frozen=True, slots=True)
class Membership:
    """`child` was inside `parent` from `packed_at` until `unpacked_at` (None: still is)."""

    child: str
    parent: str
    packed_at: datetime
    unpacked_at: datetime | None = None
    pack_event_id: str | None = None
    unpack_event_id: str | None = None

    def current(self) -> bool:
        return self.unpacked_at is None

    @classmethod
    def from_row(cls, row: Any) -> Membership:
        """From a `containment` row (or any mapping with its columns)."""
        unpack_event_id = row["unpack_event_id"]
        return cls(
            child=row["child_code"],
            parent=row["parent_code"],
            packed_at=row["packed_at"],
            unpacked_at=row["unpacked_at"],
            pack_event_id=str(row["pack_event_id"]),
            unpack_event_id=str(unpack_event_id) if unpack_event_id is not None else None,
        )


@fast_init
@dataclass(frozen=True, slots=True)
class Window:
    """`code` was (directly or through an inner container) inside `container` in [start, end).

    `closing_event_id` is the unpacking scan of `container` that ended the window, if any:
    it still counts for the contents.
    """

    container: str
    start: datetime
    end: datetime | None
    closing_event_id: str | None = None
    depth: int = 1

    def covers(self, event: Event) -> bool:
        if event.code != self.container:
            return False
        if self.closing_event_id is not None and event.event_id == self.closing_event_id:
            return True
        at = event.scanned_at
        return at >= self.start and (self.end is None or at < self.end)


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


@fast_init
@dataclass(frozen=True, slots=True)
class EffectiveEvent:
    """An event that counts for a code; `via` names the container it was scanned on."""

    event: Event
    via: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class CustodyStep:
    """One holder in the chain of custody, from the event that made it a custodian."""

    party_id: str
    since: datetime
    event_id: str
    checkpoint: Checkpoint
    via: str | None = None


def _intersect(outer: Window, inner: Membership) -> Window | None:
    """The part of `outer` (code inside inner.child) while inner.child was in inner.parent."""
    start = max(outer.start, inner.packed_at)
    end: datetime | None = outer.end
    closing: str | None = None  # the code left inner.child first: no scan of parent closes it
    if inner.unpacked_at is not None and (end is None or inner.unpacked_at <= end):
        end, closing = inner.unpacked_at, inner.unpack_event_id
    if end is not None and end < start:
        return None
    return Window(inner.parent, start, end, closing, outer.depth + 1)


def windows(
    code: str, memberships: Iterable[Membership], max_depth: int = MAX_DEPTH
) -> list[Window]:
    """Every interval during which `code` was inside a container, up to `max_depth` levels."""
    by_child: dict[str, list[Membership]] = {}
    for m in memberships:
        by_child.setdefault(m.child, []).append(m)
    found: list[Window] = []
    frontier = [
        Window(m.parent, m.packed_at, m.unpacked_at, m.unpack_event_id, 1)
        for m in by_child.get(code, [])
        if m.unpacked_at is None or m.unpacked_at >= m.packed_at
    ]
    while frontier:
        found.extend(frontier)
        deeper: list[Window] = []
        for outer in frontier:
            if outer.depth >= max_depth:
                continue
            for m in by_child.get(outer.container, []):
                if m.parent == code:
                    continue  # a cycle in bad data: never inherit from oneself
                window = _intersect(outer, m)
                if window is not None:
                    deeper.append(window)
        frontier = deeper
    return found


def _order(event: Event) -> tuple[datetime, datetime, str]:
    return (event.scanned_at, event.recorded_at, event.event_id)


def effective_events(
    code: str,
    events: Iterable[Event],
    memberships: Iterable[Membership],
    max_depth: int = MAX_DEPTH,
) -> list[EffectiveEvent]:
    """The code's own events plus its containers' events while it was inside them.

    `events` may hold any events of the code and of its (grand)parents, in any order;
    `memberships` the containment history of the code and of its parents. The result is
    ordered by scanned_at (ties: recorded_at, then event_id); each event appears once.
    """
    spans = windows(code, memberships, max_depth)
    chosen: dict[str, EffectiveEvent] = {}
    for event in sorted(events, key=_order):
        if event.event_id in chosen:
            continue
        if event.code == code:
            chosen[event.event_id] = EffectiveEvent(event)
            continue
        for window in spans:
            if window.covers(event):
                chosen[event.event_id] = EffectiveEvent(event, window.container)
                break
    return list(chosen.values())  # chosen in `_order`, each event once: sorted already


def _holders(event: Event) -> list[str]:
    """Parties an event shows holding the goods, in order: the scanner, then the consignee."""
    if event.counterfeit or event.checkpoint not in _HOLDING:
        return []
    parties = [event.party_id] if event.party_id else []
    if event.checkpoint in SHIPPING and event.to_party_id:
        parties.append(event.to_party_id)
    return parties


def custody_steps(events: Sequence[EffectiveEvent]) -> list[CustodyStep]:
    """The parties that held the code, in order, consecutive repeats merged into one step.

    Derived from commission/pack/warehouse_in (the plant), ship and dealer_ship (the
    shipper, then `to_party_id`), receives and retail_sell (the scanning party). Counterfeit
    sightings and consumer scans never make anyone a custodian. `events` must be ordered.
    """
    steps: list[CustodyStep] = []
    for effective in events:
        event = effective.event
        for party in _holders(event):
            if steps and steps[-1].party_id == party:
                continue
            steps.append(
                CustodyStep(
                    party, event.scanned_at, event.event_id, event.checkpoint, effective.via
                )
            )
    return steps


def custodians(events: Sequence[EffectiveEvent]) -> list[str]:
    """Party ids of the custody chain, consecutive duplicates removed."""
    return [step.party_id for step in custody_steps(events)]


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
    return EffectiveEvent(replace(event, location=coarse), effective.via)


def build_custody(
    info: CodeInfo, events: Iterable[Event], memberships: Iterable[Membership]
) -> Custody:
    effective = effective_events(info.code, events, memberships)
    return Custody(info, tuple(effective), tuple(custody_steps(effective)))


def code_status(commissioned: bool, batch_revoked: bool) -> str:
    if batch_revoked:
        return "revoked"
    return "commissioned" if commissioned else "issued"


def involved(party_id: str, events: Sequence[EffectiveEvent]) -> bool:
    """Did `party_id` hold the code: a custodian, or a (non-counterfeit) scan by it."""
    return any(
        party_id in _holders(e.event) or (e.event.party_id == party_id and not e.event.counterfeit)
        for e in events
    )
