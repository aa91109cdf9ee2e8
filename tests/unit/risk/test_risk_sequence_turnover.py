from __future__ import annotations

from datetime import date, timedelta

import pytest
from risk_factories import DEALER_A, DEALER_B, PLANT, STORE_A, STORE_B, SUB_A1, chain_a, facts, scan

from risk_engine.incidents import dedupe
from risk_engine.models import (
    AlertType,
    Checkpoint,
    GeoFix,
    PartyKind,
    PartyRef,
    Severity,
    SignatureCheck,
)
from risk_engine.rules.sequence import sequence
from risk_engine.rules.turnover_spike import WeeklyVolume, turnover_spike
from risk_engine.thresholds import RiskThresholds

T = RiskThresholds()
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

COMMISSION = scan(Checkpoint.COMMISSION, -10 * DAY, party=PLANT)
SHIP_A = scan(Checkpoint.SHIP, -5 * DAY, party=PLANT, to=DEALER_A)


def reasons(drafts):  # type: ignore[no-untyped-def]
    return {d.reason for d in drafts}


# -- must not alert: skipped optional checkpoints, late uploads ------------------------------


@pytest.mark.parametrize(
    "history",
    [
        (COMMISSION, SHIP_A),  # dealer_receive, dealer_ship, retail_receive all skipped
        (COMMISSION,),  # even the ship is missing (may be uploaded late)
        (),  # nothing uploaded yet
    ],
)
def test_skipped_optional_checkpoints_raise_nothing(history: tuple[object, ...]) -> None:
    f = facts(*chain_a(), history=history)  # type: ignore[arg-type]
    for checkpoint in (Checkpoint.RETAIL_SELL, Checkpoint.RETAIL_RECEIVE):
        assert sequence(scan(checkpoint, party=STORE_A), f, T) == []
    assert sequence(scan(Checkpoint.CONSUMER_VERIFY, consumer="c1"), f, T) == []


def test_out_of_order_arrival_is_judged_by_scanned_at() -> None:
    # the store's sale arrived first; the older plant ship is uploaded later
    sale = scan(Checkpoint.RETAIL_SELL, party=STORE_A)
    late_ship = scan(Checkpoint.SHIP, -2 * DAY, party=PLANT, to=DEALER_A)
    assert sequence(late_ship, facts(history=(COMMISSION, sale)), T) == []


def test_small_clock_skew_is_tolerated() -> None:
    commission = scan(Checkpoint.COMMISSION, timedelta(0), party=PLANT)
    s = scan(Checkpoint.SHIP, -5 * MIN, party=PLANT, to=DEALER_A)
    assert sequence(s, facts(history=(commission,)), T) == []


def test_sub_dealer_and_its_stores_may_receive_goods_shipped_to_the_parent() -> None:
    ship_a1 = scan(Checkpoint.DEALER_SHIP, -DAY, party=DEALER_A, to=SUB_A1)
    store_of_a1 = PartyRef("store-a1", PartyKind.RETAILER, "sub-a1")
    f = facts(history=(COMMISSION, SHIP_A, ship_a1))
    assert sequence(scan(Checkpoint.DEALER_RECEIVE, party=SUB_A1), f, T) == []
    assert sequence(scan(Checkpoint.RETAIL_RECEIVE, party=store_of_a1), f, T) == []
    assert sequence(scan(Checkpoint.DEALER_RECEIVE, party=DEALER_A), f, T) == []


# -- hard breaks -----------------------------------------------------------------------------


def test_sold_before_commission() -> None:
    [alert] = sequence(
        scan(Checkpoint.RETAIL_SELL, -11 * DAY, party=STORE_A), facts(history=(COMMISSION,)), T
    )
    assert alert.type is AlertType.SEQUENCE
    assert alert.reason == "before_commission"
    assert alert.severity is Severity.MEDIUM


def test_late_commission_reveals_earlier_market_scans() -> None:
    early = scan(Checkpoint.DEALER_RECEIVE, -12 * DAY, party=DEALER_A)
    [alert] = sequence(COMMISSION, facts(history=(early,)), T)
    assert alert.reason == "before_commission"
    assert early.event_id in alert.evidence_event_ids


def test_sold_at_a_store_while_still_at_the_plant_is_high() -> None:
    warehouse = scan(Checkpoint.WAREHOUSE_IN, -2 * DAY, party=PLANT)
    sale = scan(Checkpoint.RETAIL_SELL, -3 * DAY, party=STORE_A)
    found = sequence(sale, facts(history=(COMMISSION, warehouse)), T)
    assert reasons(found) == {"sold_before_leaving_plant"}
    assert found[0].severity is Severity.HIGH
    # and the other way round: the plant scan arrives after the sale
    found = sequence(warehouse, facts(history=(COMMISSION, sale)), T)
    assert reasons(found) == {"sold_before_leaving_plant"}
    receive = scan(Checkpoint.DEALER_RECEIVE, -3 * DAY, party=DEALER_A)
    [medium] = sequence(warehouse, facts(history=(COMMISSION, receive)), T)
    assert medium.severity is Severity.MEDIUM


def test_a_forged_copys_sighting_is_no_market_evidence() -> None:
    """A consumer checked a forged copy of the code (stored under it, bad signature) before
    the genuine item was stored at the plant: that is `counterfeit`, not a break."""
    forged = scan(
        Checkpoint.CONSUMER_VERIFY, -3 * DAY, consumer="c1", signature=SignatureCheck.BAD_SIGNATURE
    )
    warehouse = scan(Checkpoint.WAREHOUSE_IN, -2 * DAY, party=PLANT)
    assert sequence(warehouse, facts(history=(COMMISSION, forged)), T) == []


def test_goods_returned_to_the_plant_are_no_break() -> None:
    """Shipped, received by the dealer, sent back: the plant scan after that is a return."""
    shipped = scan(Checkpoint.SHIP, -4 * DAY, party=PLANT, to=DEALER_A)
    received = scan(Checkpoint.DEALER_RECEIVE, -3 * DAY, party=DEALER_A)
    back = scan(Checkpoint.WAREHOUSE_IN, -DAY, party=PLANT)
    assert sequence(back, facts(history=(COMMISSION, shipped, received)), T) == []
    # the same scans arriving in the other order
    assert sequence(received, facts(history=(COMMISSION, shipped, back)), T) == []
    # but a sale before the plant shipped it at all still is one
    early_sale = scan(Checkpoint.RETAIL_SELL, -5 * DAY, party=STORE_A)
    found = sequence(back, facts(history=(COMMISSION, early_sale, shipped, received)), T)
    assert reasons(found) == {"sold_before_leaving_plant"}


def test_dealer_receiving_goods_shipped_to_another_dealer() -> None:
    [alert] = sequence(
        scan(Checkpoint.DEALER_RECEIVE, party=DEALER_B), facts(history=(COMMISSION, SHIP_A)), T
    )
    assert (alert.reason, alert.severity) == ("received_by_unshipped_party", Severity.MEDIUM)
    [low] = sequence(
        scan(Checkpoint.RETAIL_RECEIVE, party=STORE_B), facts(history=(COMMISSION, SHIP_A)), T
    )
    assert low.severity is Severity.LOW


def test_store_of_a_sub_dealer_receiving_the_dealers_goods_is_no_break() -> None:
    """Dealer and sub-dealer both skipped dealer_ship: the plant's shipment went to the
    store's grandparent. Skipped optional scans must not raise anything."""
    store = PartyRef(
        "store-a1", PartyKind.RETAILER, "sub-a1", GeoFix(31.8, 121.7), ("sub-a1", "dealer-a")
    )
    found = sequence(
        scan(Checkpoint.RETAIL_RECEIVE, party=store), facts(history=(COMMISSION, SHIP_A)), T
    )
    assert found == []


# -- turnover spike --------------------------------------------------------------------------

MON = date(2026, 11, 2)


def weeks(*counts: int) -> list[WeeklyVolume]:
    return [WeeklyVolume(MON + timedelta(weeks=i), n) for i, n in enumerate(counts)]


def test_four_times_the_trailing_mean_is_a_spike() -> None:
    [alert] = turnover_spike("dealer-a", weeks(100, 100, 100, 100, 400), T)
    assert alert.type is AlertType.TURNOVER_SPIKE
    assert alert.severity is Severity.MEDIUM
    assert alert.source_party_id == "dealer-a"
    assert alert.key.subject == "outbound-volume"
    assert "in the week of 2026-11-30" in alert.summary


def test_a_spike_rolling_over_a_weekend_is_one_incident() -> None:
    """The windows roll with each shipment: Saturday's and Monday's windows straddle two ISO
    weeks, and are still one spike."""

    def rolling(first_day: date, latest: int) -> list[WeeklyVolume]:
        counts = (100, 100, 100, 100, latest)
        return [WeeklyVolume(first_day + timedelta(weeks=i), n) for i, n in enumerate(counts)]

    saturday, monday = rolling(date(2026, 10, 31), 450), rolling(date(2026, 11, 2), 480)
    drafts = [*turnover_spike("dealer-a", saturday, T), *turnover_spike("dealer-a", monday, T)]
    assert len(drafts) == 2
    assert drafts[0].first_seen.isocalendar().week != drafts[1].first_seen.isocalendar().week
    [incident] = dedupe(drafts, T)
    assert incident.source_party_id == "dealer-a"


def test_just_under_four_times_is_not() -> None:
    assert turnover_spike("dealer-a", weeks(100, 100, 100, 100, 399), T) == []


def test_eight_times_is_high_and_zero_baseline_is_high() -> None:
    [high] = turnover_spike("dealer-a", weeks(50, 50, 50, 50, 400), T)
    assert high.severity is Severity.HIGH
    [dormant] = turnover_spike("dealer-a", weeks(0, 0, 0, 0, 300), T)
    assert dormant.severity is Severity.HIGH


def test_small_volumes_and_short_history_never_alert() -> None:
    assert turnover_spike("dealer-a", weeks(10, 10, 10, 10, 150), T) == []
    assert turnover_spike("dealer-a", weeks(100, 100, 800), T) == []
    assert turnover_spike("dealer-a", [], T) == []


def test_missing_weeks_in_the_baseline_count_as_zero_and_order_does_not_matter() -> None:
    data = [WeeklyVolume(MON + timedelta(weeks=4), 400), WeeklyVolume(MON, 400)]
    [alert] = turnover_spike("dealer-a", data, T)  # baseline mean 100 (400 + 0 + 0 + 0) / 4
    assert alert.severity is Severity.MEDIUM


def test_unshipped_receipts_of_one_case_are_one_incident() -> None:
    drafts = [
        *sequence(
            scan(Checkpoint.DEALER_RECEIVE, party=DEALER_B, code="sgtin:1"),
            facts(code="sgtin:1", history=(COMMISSION, SHIP_A)),
            T,
        ),
        *sequence(
            scan(Checkpoint.DEALER_RECEIVE, party=DEALER_B, code="sgtin:2"),
            facts(code="sgtin:2", history=(COMMISSION, SHIP_A)),
            T,
        ),
    ]
    assert len({d.incident_key for d in drafts}) == 1
