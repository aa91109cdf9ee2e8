from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from risk_factories import DEALER_A, INDEX, STORE_A, STORE_B, T0, chain_a, facts, scan

from risk_engine.engine import evaluate_scan
from risk_engine.evidence import new_draft
from risk_engine.incidents import absorb, continues, dedupe, merge
from risk_engine.models import (
    AlertDraft,
    AlertType,
    Checkpoint,
    CodeStatus,
    GeoFix,
    IncidentKey,
    Severity,
    SignatureCheck,
    StoredIncident,
)
from risk_engine.rules.diversion import REASON_CONSUMER
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
        s = scan(Checkpoint.RETAIL_RECEIVE, party=STORE_B, code=f"item-{i}").replaced(via="case-1")
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


def _stored(head: AlertDraft, n: int, known: tuple[str, ...] = ()) -> StoredIncident:
    """An open alert holding `n` codes, evidence ids and witnesses, `known` among the round's."""
    bare = replace(head, codes=(), evidence_event_ids=(), witnesses=frozenset())
    return StoredIncident(bare, n, n, n, frozenset(known), frozenset(known), frozenset(known))


def test_absorb_counts_what_is_new_and_lists_only_that() -> None:
    stored = _stored(draft(codes=("c1",)), 40, known=("c2", "e2"))
    later = draft(Severity.HIGH, DAY, codes=("c2", "c3", "c3"), events=("e2", "e3"))
    merged = absorb(stored, later, T)
    assert merged.head.codes == ("c3",) and merged.head.evidence_event_ids == ("e3",)
    assert (merged.n_codes, merged.n_evidence) == (41, 41)
    assert merged.head.severity is Severity.HIGH and merged.head.last_seen == T0 + DAY
    again = absorb(merged, draft(at=2 * DAY, codes=("c3",), events=("e3",)), T)
    assert (again.n_codes, again.n_evidence) == (41, 41)  # added this round already
    assert again.head.codes == ("c3",)
    with pytest.raises(ValueError):
        absorb(stored, draft(subject="party:other"), T)


def test_absorb_grades_a_consumer_cluster_from_the_counts() -> None:
    def check(i: int) -> AlertDraft:
        return new_draft(
            AlertType.DIVERSION,
            Severity.LOW,
            REASON_CONSUMER,
            "one consumer",
            at=T0 + i * DAY,
            subject="territory:far",
            window=T.consumer_cluster_window,
            codes=(f"c{i}",),
            event_ids=[f"e{i}"],
            source="dealer-a",
            witnesses=frozenset({f"consumer:p{i}"}),
        )

    stored = _stored(check(0), T.consumer_cluster_medium - 1)
    merged = absorb(stored, check(1), T)
    assert merged.head.severity is Severity.MEDIUM
    n = T.consumer_cluster_medium
    assert merged.head.summary.startswith(f"{n} distinct consumers verified {n} codes")
    grown = absorb(merged, check(2), T)  # the grade holds; the summary's counts follow
    assert grown.head.severity is Severity.MEDIUM
    assert grown.head.summary.startswith(f"{n + 1} distinct consumers verified {n + 1} codes")
    holding_c0 = _stored(check(0), n - 1, known=("c0",))  # a known code does not count twice
    assert absorb(holding_c0, replace(check(1), codes=("c0",)), T).head.severity is Severity.LOW
