"""Pure custody rules: which events count for a code, and who held it (docs/custody.md).

A scan of a case or pallet counts for everything inside it at that time. Membership of a
child in a container is the half-open interval [packed_at, unpacked_at) in scan time
(`scanned_at`), plus the unpacking scan itself (the receive that opened the container is
still a scan of the full container). Inheritance goes through containers of containers
(item → case → pallet) by intersecting the intervals. No I/O here: the risk engine builds
its custody facts from the same functions. Compiled with mypyc (traceability/compiled.py):
every consumer check and scan the rules judge runs them; the types stay in `models.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from traceability.custody.models import (
    MAX_DEPTH,
    CodeInfo,
    Custody,
    CustodyStep,
    EffectiveEvent,
    Event,
    Location,
    Membership,
    Window,
)
from traceability.events import RECEIVING, SHIPPING, Checkpoint

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


def event_of(row: Any) -> Event:
    """From a `scan_events` row (or any mapping with its columns)."""
    location = None
    if row["lat"] is not None and row["lon"] is not None:
        accuracy = row["accuracy_m"]
        location = Location(
            row["lat"], row["lon"], float(accuracy) if accuracy is not None else None
        )
    return Event(
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


def membership_of(row: Any) -> Membership:
    """From a `containment` row (or any mapping with its columns)."""
    unpack_event_id = row["unpack_event_id"]
    return Membership(
        child=row["child_code"],
        parent=row["parent_code"],
        packed_at=row["packed_at"],
        unpacked_at=row["unpacked_at"],
        pack_event_id=str(row["pack_event_id"]),
        unpack_event_id=str(unpack_event_id) if unpack_event_id is not None else None,
    )


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


def build_custody(
    info: CodeInfo, events: Iterable[Event], memberships: Iterable[Membership]
) -> Custody:
    effective = effective_events(info.code, events, memberships)
    return Custody(info, tuple(effective), tuple(custody_steps(effective)))


def involved(party_id: str, events: Sequence[EffectiveEvent]) -> bool:
    """Did `party_id` hold the code: a custodian, or a (non-counterfeit) scan by it."""
    return any(
        party_id in _holders(e.event) or (e.event.party_id == party_id and not e.event.counterfeit)
        for e in events
    )
