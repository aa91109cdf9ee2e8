"""Clone: one genuine code copied onto many packages.

Evidence, counted in independent witnesses (`risk_engine.evidence.witnesses`): the same
consumer/device checking again (at home, next week) is one witness, never evidence.

- `verified_elsewhere`: distinct consumers checked the code at places at least
  `clone_min_distance_m` apart (after subtracting accuracy radii): 2 places medium,
  3 or more places high.
- `too_many_checks`: `clone_max_witnesses` distinct witnesses (medium), `clone_high_witnesses`
  (high): more than one item plausibly gets.
- `sold_twice`: two stores both sold the item (`retail_sell` by different parties): high.

Only a scan that adds a new witness (or a second sale) can raise it, so a repeat check
never re-raises. Source: the last custodian in the chain; one incident per code.
"""

from __future__ import annotations

from collections.abc import Sequence

from risk_engine.evidence import Witness, new_draft, scan_fix, separation_m, witness_of, witnesses
from risk_engine.models import (
    AlertDraft,
    AlertType,
    Checkpoint,
    CodeFacts,
    GeoFix,
    ScanFact,
    Severity,
)
from risk_engine.thresholds import RiskThresholds


def clone(scan: ScanFact, facts: CodeFacts, thresholds: RiskThresholds) -> list[AlertDraft]:
    if scan.checkpoint is Checkpoint.RETAIL_SELL:
        return _sold_twice(scan, facts, thresholds)
    if scan.checkpoint is not Checkpoint.CONSUMER_VERIFY:
        return []
    earlier = [e for e in facts.history if e.checkpoint is Checkpoint.CONSUMER_VERIFY]
    now = new_witnesses(scan, earlier, thresholds)
    if now is None:
        return []  # the scan joined a known witness: no new evidence
    mine = witness_of(scan, now)
    places = count_places(now, thresholds)
    n = len(now)
    if places >= 3 or n >= thresholds.clone_high_witnesses:
        severity = Severity.HIGH
    elif places >= 2 or n >= thresholds.clone_max_witnesses:
        severity = Severity.MEDIUM
    else:
        return []
    reason = "verified_elsewhere" if places >= 2 else "too_many_checks"
    summary = (
        f"code {facts.code} verified by {n} distinct consumers at {places} places "
        f"{thresholds.clone_min_distance_m / 1000:.0f}+ km apart"
    )
    events = [e for w in now for e in w.event_ids]
    return [
        new_draft(
            AlertType.CLONE,
            severity,
            reason,
            summary,
            at=scan.scanned_at,
            subject=f"code:{facts.code}",
            window=thresholds.incident_window,
            codes=(facts.code,),
            event_ids=events,
            source=_last_custodian(facts),
            location=mine.fix if mine else None,
            witnesses=frozenset(w.key for w in now),
        )
    ]


def new_witnesses(
    scan: ScanFact, earlier: list[ScanFact], thresholds: RiskThresholds
) -> list[Witness] | None:
    """The witnesses with the scan, when it is a new independent witness; else None. A
    known consumer's check never is (consumer witnesses are keyed by consumer, whatever the
    time): answered without grouping the history into witnesses at all."""
    if scan.consumer_id and any(e.consumer_id == scan.consumer_id for e in earlier):
        return None
    now = witnesses([*earlier, scan], thresholds)
    if not scan.consumer_id and len(now) <= len(witnesses(earlier, thresholds)):
        return None
    return now


def count_places(found: Sequence[Witness], thresholds: RiskThresholds) -> int:
    """Distinct places among the witnesses' fixes: greedy clusters `clone_min_distance_m` wide."""
    centres: list[GeoFix] = []
    for witness in found:
        if witness.fix is None:
            continue
        if all(separation_m(witness.fix, c) >= thresholds.clone_min_distance_m for c in centres):
            centres.append(witness.fix)
    return len(centres)


def _sold_twice(scan: ScanFact, facts: CodeFacts, thresholds: RiskThresholds) -> list[AlertDraft]:
    other = [
        e
        for e in facts.history
        if e.checkpoint is Checkpoint.RETAIL_SELL
        and e.party_id is not None
        and e.party_id != scan.party_id
    ]
    if not other or scan.party_id is None:
        return []
    stores = sorted({e.party_id for e in other if e.party_id} | {scan.party_id})
    summary = f"code {facts.code} sold by {len(stores)} stores: {', '.join(stores)}"
    return [
        new_draft(
            AlertType.CLONE,
            Severity.HIGH,
            "sold_twice",
            summary,
            at=scan.scanned_at,
            subject=f"code:{facts.code}",
            window=thresholds.incident_window,
            codes=(facts.code,),
            event_ids=[*(e.event_id for e in other), scan.event_id],
            source=_last_custodian(facts),
            observed_party_id=scan.party_id,
            location=scan_fix(scan, thresholds),
        )
    ]


def _last_custodian(facts: CodeFacts) -> str | None:
    steps = sorted(facts.custody, key=lambda s: s.since)
    return steps[-1].party.id if steps else None
