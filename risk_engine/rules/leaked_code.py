"""Leaked code: a code issued but never commissioned (never printed on a real item) in the market.

Only market checkpoints count (a dealer, a store, a consumer): plant scans of an issued code
are the line's own business and its commission upload may lag. Consumer verifications and
sales are high (a fake carries a real code); dealer/store receipts are medium (a commission
upload from the line might still be late). The source is the plant that issued the code (the
line is named in the summary); one incident per issuing batch (else line, else code).
"""

from __future__ import annotations

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
    if facts.status is not CodeStatus.ISSUED or facts.commissioned_at() is not None:
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
    summary = (
        f"code {facts.code} issued by {facts.issuing_plant_id or 'unknown plant'}{line} "
        f"(batch {facts.batch_id or '?'}) was never commissioned but seen at "
        f"{scan.checkpoint.value}{' by ' + scan.party.id if scan.party else ''}"
    )
    return [
        new_draft(
            AlertType.LEAKED_CODE,
            severity,
            "never_commissioned",
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
