"""counterfeit, leaked_code, clone, impossible_travel."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from risk_factories import DEALER_A, PLANT, STORE_A, STORE_B, T0, chain_a, facts, scan, step

from risk_engine.evidence import witnesses
from risk_engine.facts import issuing_line
from risk_engine.models import AlertType, Checkpoint, CodeStatus, GeoFix, Severity, SignatureCheck
from risk_engine.rules.clone import clone, new_witnesses
from risk_engine.rules.counterfeit import counterfeit
from risk_engine.rules.impossible_travel import impossible_travel
from risk_engine.rules.leaked_code import LeakMember, late_commission, leaked_code
from risk_engine.thresholds import RiskThresholds

T = RiskThresholds()
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
SHANGHAI = GeoFix(31.23, 121.47, 30.0)
BEIJING = GeoFix(39.9, 116.4, 30.0)
GUANGZHOU = GeoFix(23.13, 113.26, 30.0)

# -- counterfeit -----------------------------------------------------------------------------


def test_valid_payload_is_not_counterfeit() -> None:
    assert counterfeit(scan(Checkpoint.CONSUMER_VERIFY, fix=SHANGHAI), T) == []


@pytest.mark.parametrize(
    ("check", "consumer", "severity"),
    [
        (SignatureCheck.REVOKED_KEY, True, Severity.HIGH),
        (SignatureCheck.REVOKED_BATCH, False, Severity.HIGH),
        (SignatureCheck.BAD_SIGNATURE, True, Severity.MEDIUM),
        (SignatureCheck.BAD_SIGNATURE, False, Severity.HIGH),
        (SignatureCheck.UNKNOWN_CODE, True, Severity.MEDIUM),
        (SignatureCheck.UNKNOWN_CODE, False, Severity.HIGH),
        (SignatureCheck.MALFORMED, True, Severity.LOW),
    ],
)
def test_counterfeit_severity(check: SignatureCheck, consumer: bool, severity: Severity) -> None:
    s = (
        scan(Checkpoint.CONSUMER_VERIFY, fix=SHANGHAI, signature=check)
        if consumer
        else scan(Checkpoint.RETAIL_RECEIVE, party=STORE_A, signature=check)
    )
    [alert] = counterfeit(s, T)
    assert alert.type is AlertType.COUNTERFEIT
    assert alert.severity is severity
    assert alert.reason == check.value
    assert alert.source_party_id is None
    assert alert.observed_location is not None


def test_counterfeits_at_one_store_share_an_incident_key() -> None:
    a = counterfeit(
        scan(
            Checkpoint.RETAIL_RECEIVE,
            party=STORE_A,
            signature=SignatureCheck.BAD_SIGNATURE,
            code="x",
        ),
        T,
    )
    b = counterfeit(
        scan(
            Checkpoint.RETAIL_RECEIVE,
            party=STORE_A,
            signature=SignatureCheck.BAD_SIGNATURE,
            code="y",
        ),
        T,
    )
    assert a[0].incident_key == b[0].incident_key == "counterfeit|-|party:store-a"


# -- leaked code -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checkpoint", "party", "severity"),
    [
        (Checkpoint.CONSUMER_VERIFY, None, Severity.HIGH),
        (Checkpoint.RETAIL_SELL, STORE_A, Severity.HIGH),
        (Checkpoint.DEALER_RECEIVE, DEALER_A, Severity.MEDIUM),
    ],
)
def test_never_commissioned_code_in_the_market_names_the_issuing_plant(
    checkpoint: Checkpoint, party: object, severity: Severity
) -> None:
    s = scan(checkpoint, party=party, fix=SHANGHAI)  # type: ignore[arg-type]
    [alert] = leaked_code(s, facts(status=CodeStatus.ISSUED), T)
    assert alert.type is AlertType.LEAKED_CODE
    assert alert.severity is severity
    assert alert.source_party_id == "plant-1"
    assert alert.key.subject == "batch:batch-9"
    assert "line-3" in alert.summary


def test_leaked_code_negatives() -> None:
    issued = facts(status=CodeStatus.ISSUED)
    assert leaked_code(scan(Checkpoint.RETAIL_SELL, party=STORE_A), facts(), T) == []
    assert leaked_code(scan(Checkpoint.SHIP, party=PLANT, to=DEALER_A), issued, T) == []
    assert leaked_code(scan(Checkpoint.WAREHOUSE_IN, party=PLANT), issued, T) == []
    bad = scan(Checkpoint.CONSUMER_VERIFY, signature=SignatureCheck.BAD_SIGNATURE)
    assert leaked_code(bad, issued, T) == []
    late_commission = facts(
        status=CodeStatus.ISSUED, history=(scan(Checkpoint.COMMISSION, -DAY, party=PLANT),)
    )
    assert leaked_code(scan(Checkpoint.RETAIL_SELL, party=STORE_A), late_commission, T) == []
    within_skew = facts(history=(scan(Checkpoint.COMMISSION, 10 * MINUTE, party=PLANT),))
    assert leaked_code(scan(Checkpoint.RETAIL_SELL, party=STORE_A), within_skew, T) == []


def test_a_market_scan_dated_before_the_commission_is_a_leak_whatever_came_first() -> None:
    """Found by a review: a sale uploaded after a commission dated later raised only
    `sequence/before_commission`; uploaded before it, `leaked_code` naming the plant."""
    later = facts(history=(scan(Checkpoint.COMMISSION, DAY, party=PLANT),))
    [alert] = leaked_code(scan(Checkpoint.RETAIL_SELL, party=STORE_A), later, T)
    assert (alert.type, alert.reason, alert.severity) == (
        AlertType.LEAKED_CODE,
        "seen_before_commission",
        Severity.HIGH,
    )
    assert alert.source_party_id == "plant-1" and "commissioned only at" in alert.summary
    # Shipped by the plant, it went the legitimate way: a dealer's handheld clock hours
    # behind blames no plant (review); `sequence` reports the break.
    shipped = facts(
        history=(
            scan(Checkpoint.COMMISSION, DAY, party=PLANT),
            scan(Checkpoint.SHIP, DAY + HOUR, party=PLANT, to=DEALER_A),
        )
    )
    assert leaked_code(scan(Checkpoint.DEALER_RECEIVE, party=DEALER_A), shipped, T) == []


# -- clone -----------------------------------------------------------------------------------


def _verify(fix: GeoFix | None, consumer: str | None, at: timedelta):  # type: ignore[no-untyped-def]
    return scan(Checkpoint.CONSUMER_VERIFY, at, fix=fix, consumer=consumer)


def test_same_consumer_rescanning_at_home_is_not_a_clone() -> None:
    history = tuple(_verify(SHANGHAI, "c1", i * DAY) for i in range(20))
    again = _verify(BEIJING, "c1", 30 * DAY)  # even from another city: it is their item
    assert clone(again, facts(*chain_a(), history=history), T) == []


def test_a_codes_first_check_is_a_clone_only_under_a_threshold_of_one() -> None:
    """The rule answers a code's first check without grouping witnesses; that shortcut must
    give what the grouping gives, under a threshold that makes one witness enough too."""
    first = _verify(SHANGHAI, "buyer", 10 * MIN)
    assert clone(first, facts(*chain_a()), T) == []
    [alert] = clone(first, facts(*chain_a()), replace(T, clone_max_witnesses=1))
    assert (alert.type, alert.reason) == (AlertType.CLONE, "too_many_checks")


def test_forged_copies_checks_are_no_clone_evidence() -> None:
    """Checks whose signature failed are counterfeit sightings (the counterfeit rule's), not
    witnesses of the genuine code: five of them far apart do not make it a clone."""
    far = [BEIJING, GeoFix(23.13, 113.26, 30.0), GeoFix(30.59, 114.31, 30.0)]
    history = tuple(
        scan(
            Checkpoint.CONSUMER_VERIFY,
            i * MIN,
            fix=far[i % 3],
            consumer=f"f{i}",
            signature=SignatureCheck.BAD_SIGNATURE,
        )
        for i in range(5)
    )
    assert clone(_verify(SHANGHAI, "buyer", 10 * MIN), facts(*chain_a(), history=history), T) == []
    genuine = tuple(e.replaced(signature=SignatureCheck.VALID) for e in history)
    assert clone(_verify(SHANGHAI, "buyer", 10 * MIN), facts(*chain_a(), history=genuine), T)


def test_anonymous_repeat_checks_in_one_session_are_one_witness() -> None:
    history = tuple(_verify(SHANGHAI, None, i * MIN) for i in range(10))
    assert clone(_verify(SHANGHAI, None, 11 * MIN), facts(history=history), T) == []


def test_two_consumers_too_far_apart_in_time_are_a_medium_clone_with_last_custodian() -> None:
    history = (_verify(SHANGHAI, "c1", timedelta(0)),)
    [alert] = clone(_verify(BEIJING, "c2", 30 * MIN), facts(*chain_a(), history=history), T)
    assert alert.type is AlertType.CLONE
    assert alert.severity is Severity.MEDIUM
    assert alert.reason == "verified_elsewhere"
    assert "no single item could have been at both" in alert.summary
    assert alert.source_party_id == "dealer-a"
    assert alert.key.subject == "code:code-1"
    assert len(alert.evidence_event_ids) == 2


def test_the_clone_source_is_the_last_legitimate_custodian() -> None:
    """A store that received the code without any shipment to it or its dealer may hold the
    copies: the source is the last party the chain explains (PRODUCT.md)."""
    shipped = scan(Checkpoint.SHIP, -5 * DAY, party=PLANT, to=DEALER_A)
    copies_received = scan(Checkpoint.RETAIL_RECEIVE, -2 * DAY, party=STORE_B)
    custody = (
        step(DEALER_A, -5 * DAY),
        step(STORE_B, -2 * DAY, Checkpoint.RETAIL_RECEIVE),
    )
    checks = (_verify(SHANGHAI, "c1", -DAY),)
    history = (shipped, copies_received, *checks)
    [alert] = clone(_verify(BEIJING, "c2", -DAY + 30 * MIN), facts(*custody, history=history), T)
    assert alert.source_party_id == "dealer-a"
    # a store of the dealer that got the shipment is explained (dealers skip dealer_ship)
    custody_a = (step(DEALER_A, -5 * DAY), step(STORE_A, -2 * DAY, Checkpoint.RETAIL_RECEIVE))
    [alert] = clone(_verify(BEIJING, "c2", -DAY + 30 * MIN), facts(*custody_a, history=history), T)
    assert alert.source_party_id == "store-a"


def test_an_item_that_could_have_travelled_is_low() -> None:
    """One consumer scan far away is weak evidence (PRODUCT.md): a gift checked a day later."""
    history = (_verify(SHANGHAI, "c1", timedelta(0)),)
    [alert] = clone(_verify(BEIJING, "c2", DAY), facts(*chain_a(), history=history), T)
    assert (alert.severity, alert.reason) == (Severity.LOW, "verified_elsewhere")


def test_a_third_consumer_at_either_place_is_medium() -> None:
    """Back to Shanghai, or strangers in two cities holding copies: no longer one gift."""
    history = (_verify(SHANGHAI, "c1", timedelta(0)), _verify(BEIJING, "c2", DAY))
    [alert] = clone(_verify(SHANGHAI, "c3", 2 * DAY), facts(history=history), T)
    assert (alert.severity, alert.reason) == (Severity.MEDIUM, "verified_elsewhere")


def test_a_recheck_no_item_could_link_with_anothers_check_is_medium() -> None:
    history = (_verify(SHANGHAI, "c1", timedelta(0)), _verify(BEIJING, "c2", 2 * DAY))
    [alert] = clone(_verify(SHANGHAI, "c1", 2 * DAY + 30 * MIN), facts(history=history), T)
    assert alert.severity is Severity.MEDIUM
    # a re-check a day later is a trip an item can make: nothing new
    assert clone(_verify(SHANGHAI, "c1", 3 * DAY), facts(history=history), T) == []


def test_three_places_are_high() -> None:
    history = (_verify(SHANGHAI, "c1", timedelta(0)), _verify(BEIJING, "c2", DAY))
    [alert] = clone(_verify(GUANGZHOU, "c3", 2 * DAY), facts(history=history), T)
    assert alert.severity is Severity.HIGH


def test_two_consumers_in_one_city_are_not_a_clone() -> None:
    history = (_verify(SHANGHAI, "c1", timedelta(0)),)
    assert clone(_verify(SHANGHAI, "c2", DAY), facts(history=history), T) == []


def test_too_many_distinct_checkers_in_one_place() -> None:
    history = tuple(_verify(SHANGHAI, f"c{i}", i * DAY) for i in range(4))
    [medium] = clone(_verify(SHANGHAI, "c4", 5 * DAY), facts(history=history), T)
    assert (medium.severity, medium.reason) == (Severity.MEDIUM, "too_many_checks")
    history = tuple(_verify(SHANGHAI, f"c{i}", i * DAY) for i in range(9))
    [high] = clone(_verify(SHANGHAI, "c9", 10 * DAY), facts(history=history), T)
    assert high.severity is Severity.HIGH


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([None, "c1", "c2", "c3"]), st.integers(0, 600), st.booleans()),
        max_size=8,
    ),
    st.sampled_from([None, "c1", "c2", "c4"]),
    st.integers(0, 600),
)
def test_the_new_witness_shortcut_agrees_with_grouping_everything(
    earlier: list[tuple[str | None, int, bool]], consumer: str | None, minute: int
) -> None:
    """The clone rule decides "new witness?" from consumer ids alone when it can: the same
    answer as grouping the history into witnesses with and without the check."""
    history = [_verify(SHANGHAI if near else BEIJING, c, m * MIN) for c, m, near in earlier]
    check = _verify(SHANGHAI, consumer, minute * MIN)
    grouped = len(witnesses([*history, check], T)) > len(witnesses(history, T))
    assert (new_witnesses(check, history, T) is not None) == grouped


def test_sold_by_two_stores_is_a_high_clone() -> None:
    history = (scan(Checkpoint.RETAIL_SELL, -DAY, party=STORE_A),)
    [alert] = clone(scan(Checkpoint.RETAIL_SELL, party=STORE_B), facts(history=history), T)
    assert (alert.severity, alert.reason) == (Severity.HIGH, "sold_twice")
    same_store = (scan(Checkpoint.RETAIL_SELL, -DAY, party=STORE_B),)
    assert clone(scan(Checkpoint.RETAIL_SELL, party=STORE_B), facts(history=same_store), T) == []


# -- impossible travel -----------------------------------------------------------------------


def test_shanghai_to_beijing_in_ten_minutes_is_impossible() -> None:
    history = (scan(Checkpoint.RETAIL_RECEIVE, party=STORE_A, fix=SHANGHAI),)
    s = scan(Checkpoint.RETAIL_SELL, 10 * MIN, party=STORE_B, fix=BEIJING)
    [alert] = impossible_travel(s, facts(history=history), T)
    assert alert.type is AlertType.IMPOSSIBLE_TRAVEL
    assert alert.severity is Severity.HIGH  # ~6,400 km/h
    assert set(alert.evidence_event_ids) == {history[0].event_id, s.event_id}


def test_moderate_excess_speed_is_medium() -> None:
    history = (scan(Checkpoint.RETAIL_RECEIVE, party=STORE_A, fix=SHANGHAI),)
    s = scan(Checkpoint.RETAIL_SELL, 50 * MIN, party=STORE_B, fix=BEIJING)  # ~1,280 km/h
    [alert] = impossible_travel(s, facts(history=history), T)
    assert alert.severity is Severity.MEDIUM


def test_a_flight_is_possible() -> None:
    history = (scan(Checkpoint.RETAIL_RECEIVE, party=STORE_A, fix=SHANGHAI),)
    s = scan(Checkpoint.RETAIL_SELL, 3 * HOUR, party=STORE_B, fix=BEIJING)
    assert impossible_travel(s, facts(history=history), T) == []


def test_accuracy_radii_and_minimum_distance_absorb_gps_jumps() -> None:
    a = GeoFix(31.23, 121.47, 3_000.0)
    b = GeoFix(31.50, 121.47, 3_000.0)  # 30 km apart, one minute: GPS/cell noise, not travel
    history = (scan(Checkpoint.RETAIL_RECEIVE, party=STORE_A, fix=a),)
    s = scan(Checkpoint.CONSUMER_VERIFY, MIN, fix=b, consumer="c1")
    assert impossible_travel(s, facts(history=history), T) == []
    big = GeoFix(31.23, 121.47, 9_000.0)
    far = GeoFix(31.23 + 0.6, 121.47, 9_000.0)  # 67 km minus 18 km of accuracy < 50 km
    history = (scan(Checkpoint.RETAIL_RECEIVE, party=STORE_A, fix=big),)
    s = scan(Checkpoint.RETAIL_SELL, MIN, party=STORE_B, fix=far)
    assert impossible_travel(s, facts(history=history), T) == []


def test_same_party_same_consumer_and_consumer_pairs_are_skipped() -> None:
    own = (scan(Checkpoint.RETAIL_RECEIVE, party=STORE_A, fix=SHANGHAI),)
    s = scan(Checkpoint.RETAIL_SELL, MIN, party=STORE_A, fix=BEIJING)
    assert impossible_travel(s, facts(history=own), T) == []
    consumers = (scan(Checkpoint.CONSUMER_VERIFY, fix=SHANGHAI, consumer="c1"),)
    s = scan(Checkpoint.CONSUMER_VERIFY, MIN, fix=BEIJING, consumer="c2")
    assert impossible_travel(s, facts(history=consumers), T) == []


def test_staff_scan_without_gps_uses_the_registered_place() -> None:
    history = (scan(Checkpoint.RETAIL_RECEIVE, party=STORE_A),)
    s = scan(Checkpoint.CONSUMER_VERIFY, 10 * MIN, fix=BEIJING, consumer="c1")
    assert len(impossible_travel(s, facts(history=history), T)) == 1


def test_the_issuing_line_is_the_line_token_that_asked_for_the_batch() -> None:
    assert issuing_line({"created_by": "line:packer-3"}) == "packer-3"
    assert issuing_line({"created_by": "admin:root"}) is None  # an admin issued it: no line
    assert issuing_line({"created_by": None}) is None
    assert issuing_line({}) is None  # a registry row without the column (older callers)


def test_a_late_commission_explains_only_codes_commissioned_before_they_were_seen() -> None:
    t = T0
    early = LeakMember("a", t, t + timedelta(hours=1))
    late = LeakMember("b", t + timedelta(hours=2), t + timedelta(hours=1))
    never = LeakMember("c", None, t)
    assert late_commission([early, never], {"a"}) == (["a"], False)
    assert late_commission([early], {"a"}) == (["a"], True)
    assert late_commission([late, never], {"b"}) is None  # it was seen before it was made
    assert late_commission([early, late], {"x"}) is None  # not these commissions
