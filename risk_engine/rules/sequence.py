"""Sequence: the custody chain breaks a hard rule — something no honest chain can produce.

Only positive contradictions count, never a missing scan: optional checkpoints are skipped
in practice and scans arrive late and out of order (everything is ordered by `scanned_at`,
and a break must exceed `clock_skew`). A missing `ship` is not a break either: it may still
be uploaded. The breaks:

- `before_commission` (medium): a ship or market scan dated before the item's commission.
- `sold_before_leaving_plant`: a downstream scan (dealer/store receive, ship or sale,
  consumer check) dated before a later scan at the plant (warehouse_in, pack, plant ship):
  the item was still at the plant. High when it was a sale or consumer check, else medium.
- `received_by_unshipped_party`: a party receives the item while every recorded shipment
  went to other parties, and it is none of their sub-parties (`parent_id`): medium for a
  dealer (plant shipments name the dealer and are mandatory), low for a store (dealers may
  skip `dealer_ship` and move stock between their stores).
One incident per code, except unshipped receipts: one per receiving party (a case of 24).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from risk_engine.evidence import new_draft, scan_fix, unshipped_receipt
from risk_engine.models import (
    MARKET_CHECKPOINTS,
    AlertDraft,
    AlertType,
    Checkpoint,
    CodeFacts,
    PartyKind,
    ScanFact,
    Severity,
    SignatureCheck,
)
from risk_engine.thresholds import RiskThresholds

_BEFORE_COMMISSION = MARKET_CHECKPOINTS | {Checkpoint.SHIP}
_SALE = frozenset({Checkpoint.RETAIL_SELL, Checkpoint.CONSUMER_VERIFY})
_RECEIVE = frozenset({Checkpoint.DEALER_RECEIVE, Checkpoint.RETAIL_RECEIVE})


def sequence(scan: ScanFact, facts: CodeFacts, thresholds: RiskThresholds) -> list[AlertDraft]:
    drafts: list[AlertDraft] = []
    for check in (_before_commission, _sold_before_leaving_plant, _unshipped_receiver):
        found = check(scan, facts, thresholds)
        if found is not None:
            severity, reason, summary, events = found
            # Goods arriving unshipped come by the case: one incident per receiving party,
            # not one per item. The other breaks are about one code's own history.
            subject = (
                f"received:{scan.party_id}"
                if reason == "received_by_unshipped_party"
                else f"code:{facts.code}"
            )
            drafts.append(
                new_draft(
                    AlertType.SEQUENCE,
                    severity,
                    reason,
                    summary,
                    at=scan.scanned_at,
                    subject=subject,
                    window=thresholds.incident_window,
                    codes=(facts.code,),
                    event_ids=[*events, scan.event_id],
                    observed_party_id=scan.party_id,
                    location=scan_fix(scan, thresholds),
                )
            )
    return drafts


_Break = tuple[Severity, str, str, Sequence[str]] | None


def _before_commission(scan: ScanFact, facts: CodeFacts, t: RiskThresholds) -> _Break:
    skew = t.clock_skew
    if scan.checkpoint is Checkpoint.COMMISSION:
        early = [
            e
            for e in facts.history
            if e.checkpoint in _BEFORE_COMMISSION and e.scanned_at < scan.scanned_at - skew
        ]
    else:
        commissioned = facts.commissioned_at()
        if scan.checkpoint not in _BEFORE_COMMISSION or commissioned is None:
            return None
        early = [scan] if scan.scanned_at < commissioned - skew else []
    if not early:
        return None
    first = min(early, key=lambda e: e.scanned_at)
    summary = (
        f"code {facts.code}: {first.checkpoint.value} at {first.scanned_at.isoformat()} "
        "is dated before the item was commissioned"
    )
    return Severity.MEDIUM, "before_commission", summary, [e.event_id for e in early]


def _at_plant(event: ScanFact, facts: CodeFacts) -> bool:
    if event.checkpoint in (Checkpoint.WAREHOUSE_IN, Checkpoint.PACK):
        return True
    if event.checkpoint is Checkpoint.SHIP:
        return event.party is None or event.party.kind is PartyKind.PLANT
    return False


def _downstream(event: ScanFact) -> bool:
    return event.checkpoint in MARKET_CHECKPOINTS


def _left_plant(scan: ScanFact, facts: CodeFacts) -> datetime | None:
    """When the item first left the plant: its first plant shipment (mandatory for plants)."""
    ships = [
        e.scanned_at
        for e in (*facts.history, scan)
        if e.checkpoint is Checkpoint.SHIP and _at_plant(e, facts) and _genuine(e)
    ]
    return min(ships, default=None)


def _genuine(event: ScanFact) -> bool:
    """A forged copy's sighting says nothing about where the genuine item was."""
    return event.signature is SignatureCheck.VALID


def _sold_before_leaving_plant(scan: ScanFact, facts: CodeFacts, t: RiskThresholds) -> _Break:
    """A market scan of the item before it ever left the plant, and a plant scan after it. A
    plant scan after the item was shipped out is a return, not a break."""
    skew = t.clock_skew
    if _at_plant(scan, facts):
        market = [
            e
            for e in facts.history
            if _downstream(e) and _genuine(e) and e.scanned_at < scan.scanned_at - skew
        ]
        plant = [scan]
    elif _downstream(scan):
        late = scan.scanned_at + skew
        plant = [
            e for e in facts.history if _at_plant(e, facts) and _genuine(e) and e.scanned_at > late
        ]
        market = [scan]
    else:
        return None
    left = _left_plant(scan, facts) if market and plant else None
    if left is not None:  # a market scan after the item left counts no more: a return
        market = [e for e in market if e.scanned_at < left - skew]
    if not market or not plant:
        return None
    severity = Severity.HIGH if any(e.checkpoint in _SALE for e in market) else Severity.MEDIUM
    first = min(market, key=lambda e: e.scanned_at)
    last = max(plant, key=lambda e: e.scanned_at)
    summary = (
        f"code {facts.code}: {first.checkpoint.value} by {first.party_id or 'a consumer'} at "
        f"{first.scanned_at.isoformat()}, but still at the plant ({last.checkpoint.value}) at "
        f"{last.scanned_at.isoformat()}"
    )
    events = [e.event_id for e in (*market, *plant) if e.event_id != scan.event_id]
    return severity, "sold_before_leaving_plant", summary, events


def _unshipped_receiver(scan: ScanFact, facts: CodeFacts, t: RiskThresholds) -> _Break:
    party = scan.party
    if scan.checkpoint not in _RECEIVE or party is None:
        return None
    ships = unshipped_receipt(party, scan.scanned_at, facts, t)
    if ships is None:
        return None
    targets = {e.to_party.id for e in ships if e.to_party}
    severity = Severity.MEDIUM if party.kind is PartyKind.DEALER else Severity.LOW
    summary = (
        f"code {facts.code} received by {party.id}, but it was only shipped to "
        f"{', '.join(sorted(targets))}"
    )
    return severity, "received_by_unshipped_party", summary, [e.event_id for e in ships]
