"""Impossible travel: two scans of one code would need a speed no truck or plane gives.

For every earlier sighting with a usable location: the least distance between the two fixes
(great-circle distance minus both accuracy radii) must be at least `min_travel_distance_m`
and need more than `max_speed_kmh` (high from `high_speed_kmh`). Skipped pairs, because
they are not evidence about the item: the same party twice (its own GPS noise), the same
consumer twice (a phone's location jump), two consumer verifications (that is `clone`'s
evidence, counted in witnesses). Staff scans without GPS use the party's registered place.
One incident per code.
"""

from __future__ import annotations

from geo.distance import haversine_m, min_separation_m, speed_kmh
from risk_engine.evidence import new_draft, scan_fix
from risk_engine.models import AlertDraft, AlertType, CodeFacts, ScanFact, Severity
from risk_engine.thresholds import RiskThresholds


def impossible_travel(
    scan: ScanFact, facts: CodeFacts, thresholds: RiskThresholds
) -> list[AlertDraft]:
    here = scan_fix(scan, thresholds)
    if here is None:
        return []
    worst_speed = 0.0
    worst_km = 0.0
    offenders: list[ScanFact] = []
    for other in facts.history:
        if other.event_id == scan.event_id or _same_observer(scan, other):
            continue
        there = scan_fix(other, thresholds)
        if there is None:
            continue
        gap = min_separation_m(
            haversine_m(here.lat, here.lon, there.lat, there.lon),
            here.accuracy_m,
            there.accuracy_m,
        )
        if gap < thresholds.min_travel_distance_m:
            continue
        speed = speed_kmh(gap, abs((scan.scanned_at - other.scanned_at).total_seconds()))
        if speed <= thresholds.max_speed_kmh:
            continue
        offenders.append(other)
        if speed > worst_speed:
            worst_speed, worst_km = speed, gap / 1000
    if not offenders:
        return []
    severity = Severity.HIGH if worst_speed >= thresholds.high_speed_kmh else Severity.MEDIUM
    shown = "instantly" if worst_speed == float("inf") else f"at {worst_speed:.0f} km/h"
    summary = (
        f"code {facts.code} would have travelled at least {worst_km:.0f} km {shown} "
        f"between {len(offenders) + 1} scans"
    )
    return [
        new_draft(
            AlertType.IMPOSSIBLE_TRAVEL,
            severity,
            "speed_above_limit",
            summary,
            at=scan.scanned_at,
            subject=f"code:{facts.code}",
            window=thresholds.incident_window,
            codes=(facts.code,),
            event_ids=[*(o.event_id for o in offenders), scan.event_id],
            observed_party_id=scan.party_id,
            location=here,
        )
    ]


def _same_observer(a: ScanFact, b: ScanFact) -> bool:
    if a.is_consumer and b.is_consumer:
        return True
    if a.party_id is not None and a.party_id == b.party_id:
        return True
    return a.consumer_id is not None and a.consumer_id == b.consumer_id
