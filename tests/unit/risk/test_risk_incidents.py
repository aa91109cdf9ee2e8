from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from risk_factories import DEALER_A, INDEX, STORE_A, STORE_B, T0, chain_a, facts, scan

from risk_engine.engine import evaluate_scan
from risk_engine.evidence import new_draft
from risk_engine.incidents import continues, dedupe, merge
from risk_engine.models import (
    AlertDraft,
    AlertType,
    Checkpoint,
    CodeStatus,
    GeoFix,
    IncidentKey,
    Severity,
    SignatureCheck,
)
from risk_engine.thresholds import RiskThresholds

T = RiskThresholds()
DAY = timedelta(days=1)


def draft(
    severity: Severity = Severity.MEDIUM,
    at: timedelta = timedelta(0),
    codes: tuple[str, ...] = ("c1",),
    events: tuple[str, ...] = ("e1",),
    subject: str = "party:store-b",
    expected: tuple[str, ...] = ("east",),
) -> AlertDraft:
    return new_draft(
        AlertType.DIVERSION,
        severity,
        "receive_outside_territory",
        f"summary {severity.value}",
        at=T0 + at,
        subject=subject,
        window=T.incident_window,
        codes=codes,
        event_ids=events,
        source="dealer-a",
        observed_party_id="store-b",
        expected=expected,
    )


def test_key_string_is_stable() -> None:
    key = IncidentKey(AlertType.DIVERSION, "dealer-a", "party:store-b")
    assert key.as_str() == "diversion|dealer-a|party:store-b"
    assert IncidentKey(AlertType.CLONE, None, "code:x").as_str() == "clone|-|code:x"
    assert draft().incident_key == key.as_str()


def test_merge_unions_evidence_and_keeps_the_highest_severity() -> None:
    first = draft(Severity.MEDIUM, codes=("c1", "c2"), events=("e1",))
    later = draft(
        Severity.HIGH, DAY, codes=("c2", "c3"), events=("e2", "e1"), expected=("east", "x")
    )
    merged = merge(first, later, T)
    assert merged.severity is Severity.HIGH
    assert merged.summary == "summary high"
    assert merged.codes == ("c1", "c2", "c3")
    assert merged.evidence_event_ids == ("e1", "e2")
    assert merged.expected_territory_ids == ("east", "x")
    assert (merged.first_seen, merged.last_seen) == (T0, T0 + DAY)
    lower = merge(later, draft(Severity.LOW, 2 * DAY), T)
    assert lower.severity is Severity.HIGH and lower.summary == "summary high"


def test_merge_refuses_another_incident() -> None:
    with pytest.raises(ValueError):
        merge(draft(), draft(subject="party:other"), T)


def test_continues_within_the_sliding_window_only() -> None:
    first = draft()
    assert continues(first, draft(at=6 * DAY))
    assert continues(first, draft(at=-6 * DAY))  # late upload of older evidence
    assert not continues(first, draft(at=8 * DAY))
    assert not continues(first, draft(subject="party:other"))
    chained = merge(first, draft(at=6 * DAY), T)
    assert continues(chained, draft(at=12 * DAY))


def test_dedupe_makes_one_alert_per_incident() -> None:
    drafts = [
        draft(codes=(f"c{i}",), events=(f"e{i}",), at=i * timedelta(hours=1)) for i in range(50)
    ]
    drafts.append(draft(subject="party:other"))
    drafts.append(draft(at=30 * DAY))  # same key, long after: a new incident
    incidents = dedupe(drafts, T)
    assert len(incidents) == 3
    big = max(incidents, key=lambda d: len(d.codes))
    assert len(big.codes) == 50 and len(big.evidence_event_ids) == 50


def _dedupe_pairwise(drafts: list[AlertDraft]) -> list[AlertDraft]:
    """The definition: every draft against every incident so far, in time order."""
    incidents: list[AlertDraft] = []
    for d in sorted(drafts, key=lambda d: (d.first_seen, d.incident_key)):
        for i, incident in enumerate(incidents):
            if continues(incident, d):
                incidents[i] = merge(incident, d, T)
                break
        else:
            incidents.append(d)
    return incidents


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["party:a", "party:b", "party:c"]), st.integers(0, 40)),
        max_size=25,
    )
)
def test_dedupe_by_key_is_the_pairwise_definition(found: list[tuple[str, int]]) -> None:
    drafts = [
        draft(subject=subject, at=day * DAY, codes=(f"c{i}",), events=(f"e{i}",))
        for i, (subject, day) in enumerate(found)
    ]
    assert dedupe(drafts, T) == _dedupe_pairwise(drafts)


def test_a_scanned_case_of_items_is_one_incident() -> None:
    drafts = []
    for i in range(24):  # one retail_receive of a case, fanned out to its 24 items
        s = replace(scan(Checkpoint.RETAIL_RECEIVE, party=STORE_B, code=f"item-{i}"), via="case-1")
        drafts += evaluate_scan(s, facts(*chain_a(), code=f"item-{i}"), INDEX, T)
    [incident] = dedupe(drafts, T)
    assert len(incident.codes) == 24
    assert incident.source_party_id == "dealer-a"


# -- engine ----------------------------------------------------------------------------------


def test_engine_runs_counterfeit_only_for_bad_payloads() -> None:
    s = scan(Checkpoint.RETAIL_SELL, party=STORE_B, signature=SignatureCheck.BAD_SIGNATURE)
    [alert] = evaluate_scan(s, facts(*chain_a()), INDEX)
    assert alert.type is AlertType.COUNTERFEIT
    assert evaluate_scan(scan(Checkpoint.RETAIL_SELL, party=STORE_A), None, INDEX) == []


def test_engine_combines_rules() -> None:
    s = scan(Checkpoint.RETAIL_SELL, party=STORE_B, fix=GeoFix(39.9, 116.4, 20))
    found = evaluate_scan(s, facts(*chain_a(), status=CodeStatus.ISSUED), INDEX, T)
    assert {a.type for a in found} == {AlertType.DIVERSION, AlertType.LEAKED_CODE}
    assert (
        evaluate_scan(scan(Checkpoint.RETAIL_SELL, party=STORE_A), facts(*chain_a()), INDEX) == []
    )
    assert (
        evaluate_scan(
            scan(Checkpoint.DEALER_SHIP, party=DEALER_A, to=STORE_A), facts(*chain_a()), INDEX
        )
        == []
    )
