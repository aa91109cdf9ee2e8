"""Leaked code: a code issued but never commissioned (never printed on a real item) in the market.

Never commissioned at the time it was seen: a market scan dated before the code's commission
(beyond the clock skew) of a code the plant never shipped leaked too, uploaded before or
after the commission (`seen_before_commission`; a commission uploaded first hid the leak).
A code the plant shipped went the legitimate way: a market scan dated before its commission
is a wrong clock, `sequence/before_commission`'s business, and names no plant.

Only market checkpoints count (a dealer, a store, a consumer): plant scans of an issued code
are the line's own business and its commission upload may lag. Consumer verifications and
sales are high (a fake carries a real code); dealer/store receipts are medium (a commission
upload from the line might still be late). The source is the plant that issued the code (the
line is named in the summary); one incident per issuing batch (else line, else code).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from risk_engine.evidence import new_draft, scan_fix
from risk_engine.models import (
    MARKET_CHECKPOINTS,
    AlertDraft,
    AlertType,
    Checkpoint,
    CodeFacts,
    CodeStatus,
    ScanFact,
    Severity,
    SignatureCheck,
)
from risk_engine.thresholds import RiskThresholds


def leaked_code(scan: ScanFact, facts: CodeFacts, thresholds: RiskThresholds) -> list[AlertDraft]:
    commissioned = facts.commissioned_at()
    if commissioned is None and facts.status is not CodeStatus.ISSUED:
        return []
    if commissioned is not None and (
        scan.scanned_at >= commissioned - thresholds.clock_skew
        or any(e.checkpoint is Checkpoint.SHIP for e in facts.history)
    ):
        return []
    if scan.checkpoint not in MARKET_CHECKPOINTS or scan.signature is not SignatureCheck.VALID:
        return []
    if scan.party is not None and scan.party.id == facts.issuing_plant_id:
        return []
    severity = (
        Severity.HIGH
        if scan.checkpoint in (Checkpoint.CONSUMER_VERIFY, Checkpoint.RETAIL_SELL)
        else Severity.MEDIUM
    )
    if facts.batch_id:
        subject = f"batch:{facts.batch_id}"
    elif facts.issuing_line_id:
        subject = f"line:{facts.issuing_line_id}"
    else:
        subject = f"code:{facts.code}"
    line = f" line {facts.issuing_line_id}" if facts.issuing_line_id else ""
    state = (
        "was never commissioned"
        if commissioned is None
        else f"was commissioned only at {commissioned.isoformat()}"
    )
    summary = (
        f"code {facts.code} issued by {facts.issuing_plant_id or 'unknown plant'}{line} "
        f"(batch {facts.batch_id or '?'}) {state} but seen at "
        f"{scan.checkpoint.value}{' by ' + scan.party.id if scan.party else ''}"
    )
    return [
        new_draft(
            AlertType.LEAKED_CODE,
            severity,
            "never_commissioned" if commissioned is None else "seen_before_commission",
            summary,
            at=scan.scanned_at,
            subject=subject,
            window=thresholds.incident_window,
            codes=(facts.code,),
            event_ids=(scan.event_id,),
            source=facts.issuing_plant_id,
            observed_party_id=scan.party_id,
            location=scan_fix(scan, thresholds),
        )
    ]


@dataclass(frozen=True, slots=True)
class LeakMember:
    """A code of an open leaked_code alert, as a late commission is weighed against it."""

    code: str
    commissioned_at: datetime | None
    seen_at: datetime | None  # its first market scan among the alert's evidence


def explained(member: LeakMember) -> bool:
    """Commissioned no later than it was seen in the market: it never leaked."""
    return (
        member.commissioned_at is not None
        and member.seen_at is not None
        and member.commissioned_at <= member.seen_at
    )


def late_commission(
    members: Sequence[LeakMember], commissioned: Collection[str]
) -> tuple[list[str], bool] | None:
    """What commissions uploaded late (`commissioned`: codes commissioned just now) change
    for an open leaked_code alert: the codes they explain, and whether no code of the alert
    is left unexplained (then the alert is withdrawn). None when they explain none of it.

    Uploads come late and out of order: a dealer's receipt stored before the line's commission
    upload was a leak by the facts of that moment.
    """
    now_explained = [m.code for m in members if m.code in commissioned and explained(m)]
    if not now_explained:
        return None
    return now_explained, all(explained(m) for m in members)
