"""Run every per-scan rule on one scan and return the de-duplicated alert drafts."""

from __future__ import annotations

from risk_engine.incidents import dedupe
from risk_engine.models import AlertDraft, CodeFacts, ScanFact, SignatureCheck, TerritoryLookup
from risk_engine.rules.clone import clone
from risk_engine.rules.counterfeit import counterfeit
from risk_engine.rules.diversion import diversion
from risk_engine.rules.impossible_travel import impossible_travel
from risk_engine.rules.leaked_code import leaked_code
from risk_engine.rules.sequence import sequence
from risk_engine.thresholds import RiskThresholds


def evaluate_scan(
    scan: ScanFact,
    facts: CodeFacts | None,
    territories: TerritoryLookup,
    thresholds: RiskThresholds | None = None,
) -> list[AlertDraft]:
    """All drafts one scan proves. `facts` is None when the code is unknown.

    A payload that failed verification only raises `counterfeit`: its other claims (code,
    custody) cannot be trusted. `turnover_spike` is not per scan: run it on weekly counts.
    """
    t = thresholds or RiskThresholds()
    if scan.signature is not SignatureCheck.VALID or facts is None:
        return counterfeit(scan, t) if scan.signature is not SignatureCheck.VALID else []
    drafts = [
        *leaked_code(scan, facts, t),
        *sequence(scan, facts, t),
        *diversion(scan, facts, territories, t),
        *clone(scan, facts, t),
        *impossible_travel(scan, facts, t),
    ]
    return dedupe(drafts, t)
