"""Counterfeit: the payload fails a signature layer, names no issued code, or a revoked key/batch.

Severity: revoked key or batch is high (a known compromise); a bad signature or an unknown
code is high when a supply-chain party scanned it (fakes inside the distribution network)
and medium when a consumer did (one consumer's report, e.g. a damaged or mis-read code);
a payload that is none of ours at all (`malformed`: any QR code) is low.
One incident per place (scanning party, else ~50 km area cell) and window; codes are merged.
"""

from __future__ import annotations

from risk_engine.evidence import area_cell, new_draft, scan_fix
from risk_engine.models import AlertDraft, AlertType, ScanFact, Severity, SignatureCheck
from risk_engine.thresholds import RiskThresholds


def counterfeit(scan: ScanFact, thresholds: RiskThresholds) -> list[AlertDraft]:
    """A counterfeit draft when the scan's payload did not verify."""
    check = scan.signature
    if check is SignatureCheck.VALID:
        return []
    if check in (SignatureCheck.REVOKED_KEY, SignatureCheck.REVOKED_BATCH):
        severity = Severity.HIGH
    elif check is SignatureCheck.MALFORMED:
        severity = Severity.LOW
    else:
        severity = Severity.MEDIUM if scan.is_consumer else Severity.HIGH
    fix = scan_fix(scan, thresholds)
    if scan.party is not None:
        subject = f"party:{scan.party.id}"
        where = scan.party.id
    elif fix is not None:
        subject = area_cell(fix.lat, fix.lon, thresholds.area_cell_deg)
        where = f"{fix.lat:.3f},{fix.lon:.3f}"
    else:
        subject, where = "unknown", "an unknown place"
    who = "a consumer" if scan.is_consumer else (scan.party_id or "a party")
    summary = f"{check.value.replace('_', ' ')}: code {scan.code} scanned by {who} at {where}"
    return [
        new_draft(
            AlertType.COUNTERFEIT,
            severity,
            check.value,
            summary,
            at=scan.scanned_at,
            subject=subject,
            window=thresholds.incident_window,
            codes=(scan.code,),
            event_ids=(scan.event_id,),
            observed_party_id=scan.party_id,
            location=fix,
        )
    ]
