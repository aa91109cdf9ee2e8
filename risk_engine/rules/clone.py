"""Clone: one genuine code copied onto many packages.

Evidence, counted in independent witnesses (`risk_engine.evidence.witnesses`): the same
consumer/device checking again (at home, next week) is one witness, never evidence.

- `verified_elsewhere`: distinct consumers checked the code at places at least
  `clone_min_distance_m` apart (after subtracting accuracy radii). Three or more places are
  high. Two places are medium with three or more witnesses, or when no single item could
  have been at both in the time between two of their checks (`impossible_places`: faster
  than `max_speed_kmh`); two witnesses an item could have travelled between are low: a gift
  or a resale travels, and one consumer scan far away is weak evidence (PRODUCT.md).
- `too_many_checks`: `clone_max_witnesses` distinct witnesses (medium), `clone_high_witnesses`
  (high): more than one item plausibly gets.
- `sold_twice`: two stores both sold the item (`retail_sell` by different parties): high.

Only a scan that adds a new witness (or a second sale) can raise it, so a repeat check
never re-raises; except a consumer's re-check that no item could link with another
consumer's check (medium: one of them held a copy). Source: the last legitimate custodian
(`_last_custodian`); one incident per code.
"""

from __future__ import annotations

from collections.abc import Sequence

from geo.distance import speed_kmh
from risk_engine.evidence import (
    Witness,
    consumer_checks,
    new_draft,
    scan_fix,
    separation_m,
    unshipped_receipt,
    usable_fix,
    witness_keys,
    witness_of,
    witnesses,
)
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
    earlier = consumer_checks(facts.history)
    if not earlier and min(thresholds.clone_max_witnesses, thresholds.clone_high_witnesses) > 1:
        return []  # a code's first check: one witness at one place, below every threshold
    now = new_witnesses(scan, earlier, thresholds)
    if now is None:  # the scan joined a known witness: new evidence only in one case
        if not _impossible_with_others(scan, earlier, thresholds):
            return []
        now = witnesses([*earlier, scan], thresholds)
    mine = witness_of(scan, now)
    places = count_places(now, thresholds)
    n = len(now)
    if places >= 3 or n >= thresholds.clone_high_witnesses:
        severity, why = Severity.HIGH, ""
    elif checked_elsewhere(now, thresholds, places) or n >= thresholds.clone_max_witnesses:
        severity = Severity.MEDIUM
        why = ", no single item could have been at both in time" if (places, n) == (2, 2) else ""
    elif places == 2:
        severity, why = Severity.LOW, ", time enough between them for the item to have travelled"
    else:
        return []
    reason = "verified_elsewhere" if places >= 2 else "too_many_checks"
    summary = (
        f"code {facts.code} verified by {n} distinct consumers at {places} places "
        f"{thresholds.clone_min_distance_m / 1000:.0f}+ km apart{why}"
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
            source=_last_custodian(facts, thresholds),
            location=mine.fix if mine else None,
            witnesses=frozenset(w.key for w in now),
        )
    ]


def new_witnesses(
    scan: ScanFact, earlier: list[ScanFact], thresholds: RiskThresholds
) -> list[Witness] | None:
    """The witnesses with the scan, when it adds an independent witness; else None (a known
    witness's check, keyed by network or consumer whatever the time: `witness_keys`)."""
    now = witnesses([*earlier, scan], thresholds)
    mine = witness_of(scan, now)
    if mine is not None and len(mine.checks) > 1:  # it joined checks made before it
        return None
    return now


Located = tuple[ScanFact, GeoFix]


def _impossible_with_others(
    scan: ScanFact, earlier: list[ScanFact], thresholds: RiskThresholds
) -> bool:
    """A known consumer's re-check that no item could link with another consumer's check:
    new evidence after all (`impossible_places`, for this check)."""
    here = usable_fix(scan.location, thresholds)
    if here is None:
        return False
    key_of = witness_keys([*earlier, scan])
    mine = key_of(scan)
    others = [e for e in earlier if mine is None or key_of(e) != mine]
    return any(
        _unreachable((scan, here), other, thresholds) for other in _located(others, thresholds)
    )


def _located(checks: Sequence[ScanFact], thresholds: RiskThresholds) -> list[Located]:
    """The checks with a usable fix, each with it (looked up once, compared many times)."""
    return [(c, fix) for c in checks if (fix := usable_fix(c.location, thresholds)) is not None]


def _unreachable(a: Located, b: Located, thresholds: RiskThresholds) -> bool:
    distance = separation_m(a[1], b[1])
    if distance < thresholds.clone_min_distance_m:
        return False
    seconds = abs((a[0].scanned_at - b[0].scanned_at).total_seconds())
    return speed_kmh(distance, seconds) > thresholds.max_speed_kmh


def checked_elsewhere(
    found: Sequence[Witness], thresholds: RiskThresholds, places: int | None = None
) -> bool:
    """The witnesses saw one code where a single item cannot plausibly have been: three or
    more places far apart; two, with a third witness (the item would have gone back, or
    strangers in two cities hold copies); or two witnesses an item could not have travelled
    between in time. Left out: one more consumer far away, days later (a gift, a resale)."""
    if places is None:  # `count_places(found)`, when the caller has it already
        places = count_places(found, thresholds)
    if places != 2:
        return places > 2
    return len(found) > 2 or impossible_places(found, thresholds)


def impossible_places(found: Sequence[Witness], thresholds: RiskThresholds) -> bool:
    """Two witnesses' checks that no single item could link: far apart (`clone_min_distance_m`)
    and faster than `max_speed_kmh` between them, each check at its own fix. Their latest
    `_PAIRED` checks each: quadratic, so callers keep `found` to two witnesses."""
    located = [_located(w.checks, thresholds)[-_PAIRED:] for w in found]
    return any(
        _unreachable(a, b, thresholds)
        for i, mine in enumerate(located)
        for theirs in located[i + 1 :]
        for a in mine
        for b in theirs
    )


_PAIRED = 16


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
            source=_last_custodian(facts, thresholds),
            observed_party_id=scan.party_id,
            location=scan_fix(scan, thresholds),
        )
    ]


def _last_custodian(facts: CodeFacts, thresholds: RiskThresholds) -> str | None:
    """The last legitimate custodian (PRODUCT.md): the last party whose holding the chain
    explains. A store that received the code without any shipment to it or its dealer may
    have received the copies; it is not where the genuine code leaked from."""
    legitimate = [
        step
        for step in sorted(facts.custody, key=lambda s: s.since)
        if unshipped_receipt(step.party, step.since, facts, thresholds) is None
    ]
    return legitimate[-1].party.id if legitimate else None
