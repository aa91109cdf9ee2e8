"""Detection bugs the simulator (risk_engine/simulator) found on honest or mixed traffic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from risk_factories import INDEX, STORE_A, chain_a, chain_a_a1, facts, scan, step

from risk_engine.incidents import dedupe
from risk_engine.models import Checkpoint, GeoFix, Severity
from risk_engine.rules.diversion import diversion
from risk_engine.rules.turnover_spike import Window, known_weeks, turnover_spike
from risk_engine.thresholds import RiskThresholds

T = RiskThresholds()
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
UNTIL = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOME_A = GeoFix(31.3, 121.6, 20.0)  # inside dealer A's territory
BEIJING = GeoFix(39.9, 116.4, 30.0)
XIAN = GeoFix(34.3, 108.9, 30.0)


def windows(*counts: int) -> list[Window]:
    """The volume query's 7-day windows ending at UNTIL, oldest first, zero-filled."""
    n = len(counts)
    return [
        Window(UNTIL - (n - i) * WEEK, UNTIL - (n - i - 1) * WEEK, c) for i, c in enumerate(counts)
    ]


def test_a_new_dealers_second_week_is_not_a_spike() -> None:
    # Simulator: honest dealers shipping 240-290 items a week got "4.0x its 4-week mean of
    # 72" in their second week: three zero-filled windows from before they existed.
    weeks = known_weeks(windows(0, 0, 0, 288, 288), first_shipment=UNTIL - 13 * DAY)
    assert turnover_spike("dealer-a", weeks, T) == []


def test_a_dealer_with_four_weeks_of_history_is_judged() -> None:
    weeks = known_weeks(windows(0, 60, 60, 60, 600), first_shipment=UNTIL - 30 * DAY)
    [spike] = turnover_spike("dealer-a", weeks, T)
    assert spike.severity is Severity.HIGH  # 600 / 45
    assert known_weeks(windows(0, 0, 0, 0, 300), first_shipment=None) == []


def test_copies_of_cloned_codes_are_no_diversion_cluster() -> None:
    # Simulator: a counterfeiter sold copies of three of dealer A's codes in Beijing; each
    # code was first checked by its real buyer at home. Three strangers in Beijing made a
    # medium "consumer cluster" diversion on top of the three clone alerts.
    drafts = []
    for i in range(3):
        code = f"code-{i}"
        buyer = scan(Checkpoint.CONSUMER_VERIFY, -DAY, fix=HOME_A, consumer=f"b{i}", code=code)
        copy = scan(Checkpoint.CONSUMER_VERIFY, i * DAY, fix=BEIJING, consumer=f"x{i}", code=code)
        drafts += diversion(copy, facts(*chain_a_a1(), history=(buyer,), code=code), INDEX, T)
    assert drafts == []


def test_genuine_goods_checked_once_each_far_away_still_cluster() -> None:
    drafts = []
    for i in range(T.consumer_cluster_medium):
        s = scan(Checkpoint.CONSUMER_VERIFY, i * DAY, fix=BEIJING, consumer=f"c{i}", code=f"c{i}")
        drafts += diversion(s, facts(*chain_a_a1(), code=f"c{i}"), INDEX, T)
    [incident] = dedupe(drafts, T)
    assert incident.severity is Severity.MEDIUM
    # the same consumer checking again elsewhere is one witness: still the dealer's goods
    again = scan(Checkpoint.CONSUMER_VERIFY, 5 * DAY, fix=XIAN, consumer="c0", code="c0")
    first = scan(Checkpoint.CONSUMER_VERIFY, 0 * DAY, fix=BEIJING, consumer="c0", code="c0")
    assert diversion(again, facts(*chain_a_a1(), history=(first,), code="c0"), INDEX, T)


def test_goods_sold_at_home_then_checked_far_away_are_no_cluster() -> None:
    """Border shoppers: the item was sold by a store inside the dealer's territory, then
    checked by consumers at home in the next territory. That is not diversion evidence."""
    sold = (*chain_a(), step(STORE_A, -1 * DAY, Checkpoint.RETAIL_SELL))
    drafts = []
    for i in range(T.consumer_cluster_medium + 2):
        s = scan(Checkpoint.CONSUMER_VERIFY, i * DAY, fix=BEIJING, consumer=f"c{i}", code=f"c{i}")
        drafts += diversion(s, facts(*sold, code=f"c{i}"), INDEX, T)
    assert drafts == []
