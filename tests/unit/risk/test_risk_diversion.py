from __future__ import annotations

from datetime import timedelta

import pytest
from risk_factories import (
    AUTHS,
    DEALER_A,
    GTIN,
    INDEX,
    PLANT,
    STORE_A,
    STORE_A1,
    STORE_B,
    STORE_SOUTH,
    SUB_A1,
    SUB_A2,
    Authorization,
    chain_a,
    chain_a_a1,
    east_of_west_edge,
    facts,
    scan,
    step,
)

from risk_engine.incidents import dedupe, merge
from risk_engine.models import AlertType, Checkpoint, GeoFix, PartyKind, PartyRef, Severity
from risk_engine.rules.diversion import cluster_severity, diversion
from risk_engine.thresholds import RiskThresholds

T = RiskThresholds()
DAY = timedelta(days=1)


def run(s, f):  # type: ignore[no-untyped-def]
    return diversion(s, f, INDEX, T)


@pytest.mark.parametrize(
    "checkpoint", [Checkpoint.DEALER_RECEIVE, Checkpoint.RETAIL_RECEIVE, Checkpoint.RETAIL_SELL]
)
def test_store_inside_the_dealers_territory_raises_nothing(checkpoint: Checkpoint) -> None:
    assert run(scan(checkpoint, party=STORE_A), facts(*chain_a())) == []


@pytest.mark.parametrize("checkpoint", [Checkpoint.RETAIL_RECEIVE, Checkpoint.RETAIL_SELL])
def test_store_in_another_dealers_territory_is_high_and_names_the_dealer(
    checkpoint: Checkpoint,
) -> None:
    s = scan(checkpoint, party=STORE_B)
    [alert] = run(s, facts(*chain_a()))
    assert alert.type is AlertType.DIVERSION
    assert alert.severity is Severity.HIGH
    assert alert.reason == "receive_outside_territory"
    assert alert.source_party_id == "dealer-a"
    assert alert.observed_party_id == "store-b"
    assert alert.expected_territory_ids == ("east",)
    assert alert.codes == ("code-1",)
    assert s.event_id in alert.evidence_event_ids
    assert "custody-dealer-a" in alert.evidence_event_ids


def test_sub_dealer_that_diverted_is_named_not_its_dealer() -> None:
    [alert] = run(scan(Checkpoint.RETAIL_SELL, party=STORE_B), facts(*chain_a_a1()))
    assert alert.source_party_id == "sub-a1"
    assert alert.expected_territory_ids == ("east-north",)


def test_sub_dealer_selling_into_its_dealers_other_district_is_diversion() -> None:
    [alert] = run(scan(Checkpoint.RETAIL_RECEIVE, party=STORE_SOUTH), facts(*chain_a_a1()))
    assert alert.source_party_id == "sub-a1"
    assert alert.severity is Severity.HIGH


def test_sub_dealers_own_store_is_fine() -> None:
    assert run(scan(Checkpoint.RETAIL_RECEIVE, party=STORE_A1), facts(*chain_a_a1())) == []


def test_sub_dealer_without_territory_inherits_and_is_named_when_inside() -> None:
    chain = (step(DEALER_A, -5 * DAY), step(SUB_A2, -3 * DAY))
    [alert] = run(scan(Checkpoint.RETAIL_SELL, party=STORE_B), facts(*chain))
    assert alert.expected_territory_ids == ("east",)
    assert alert.source_party_id == "sub-a2"


def test_dealer_is_named_when_it_shipped_to_a_sub_dealer_outside() -> None:
    outside_sub = PartyRef("sub-far", PartyKind.DEALER, "dealer-a", GeoFix(39.95, 116.45))
    chain = (step(DEALER_A, -5 * DAY), step(outside_sub, -3 * DAY))
    [alert] = run(scan(Checkpoint.RETAIL_SELL, party=STORE_B), facts(*chain))
    assert alert.source_party_id == "dealer-a"


def test_no_dealer_territory_known_means_no_judgement() -> None:
    f = facts(*chain_a(), auths=(Authorization("dealer-a", "east", frozenset({"09999999999999"})),))
    assert run(scan(Checkpoint.RETAIL_SELL, party=STORE_B), f) == []


def test_gtin_restricted_authorization_counts_for_its_gtin() -> None:
    f = facts(*chain_a(), auths=(Authorization("dealer-a", "east", frozenset({GTIN})),))
    assert len(run(scan(Checkpoint.RETAIL_SELL, party=STORE_B), f)) == 1


def test_plant_scans_and_custody_after_the_scan_are_ignored() -> None:
    assert run(scan(Checkpoint.WAREHOUSE_IN, party=PLANT), facts(*chain_a())) == []
    late = (step(DEALER_A, 5 * DAY),)  # custody that starts after the scan
    assert run(scan(Checkpoint.RETAIL_SELL, party=STORE_B), facts(*late)) == []


# -- GPS noise and accuracy ------------------------------------------------------------------


def _unregistered_store() -> PartyRef:
    return PartyRef("store-x", STORE_A.kind, "dealer-a", None)


@pytest.mark.parametrize("metres", [300.0, -300.0, 0.0])
def test_gps_noise_at_the_border_never_raises_medium_or_high(metres: float) -> None:
    fix = GeoFix(31.25, east_of_west_edge(metres), 500.0)
    alerts = run(
        scan(Checkpoint.RETAIL_SELL, party=_unregistered_store(), fix=fix), facts(*chain_a())
    )
    assert all(a.severity is Severity.LOW for a in alerts)


def test_store_300m_inside_with_500m_accuracy_and_registered_place_raises_nothing() -> None:
    store = _unregistered_store().replaced(location=GeoFix(31.25, east_of_west_edge(300)))
    fix = GeoFix(31.25, east_of_west_edge(300), 500.0)
    assert run(scan(Checkpoint.RETAIL_SELL, party=store, fix=fix), facts(*chain_a())) == []


def test_clearly_outside_fix_is_high_and_slightly_outside_is_medium() -> None:
    far = GeoFix(31.25, east_of_west_edge(-3_000), 500.0)
    near = GeoFix(31.25, east_of_west_edge(-1_000), 200.0)
    store = _unregistered_store()
    [high] = run(scan(Checkpoint.RETAIL_SELL, party=store, fix=far), facts(*chain_a()))
    [medium] = run(scan(Checkpoint.RETAIL_SELL, party=store, fix=near), facts(*chain_a()))
    assert high.severity is Severity.HIGH
    assert medium.severity is Severity.MEDIUM


def test_registered_inside_but_gps_outside_is_not_medium_or_high() -> None:
    fix = GeoFix(39.9, 116.4, 20.0)  # the phone is in Beijing, the store is registered inside
    alerts = run(scan(Checkpoint.RETAIL_SELL, party=STORE_A, fix=fix), facts(*chain_a()))
    assert all(a.severity is Severity.LOW for a in alerts)


def test_terrible_accuracy_does_not_hide_a_store_registered_outside() -> None:
    fix = GeoFix(39.9, 116.4, 50_000.0)  # unusable fix; the registered place decides
    [alert] = run(scan(Checkpoint.RETAIL_SELL, party=STORE_B, fix=fix), facts(*chain_a()))
    assert alert.severity is Severity.HIGH


# -- ship-time -------------------------------------------------------------------------------


def test_dealer_shipping_to_a_party_outside_its_territory_is_caught_at_ship_time() -> None:
    s = scan(Checkpoint.DEALER_SHIP, party=DEALER_A, to=STORE_B)
    [alert] = run(s, facts(*chain_a()))
    assert alert.reason == "ship_outside_territory"
    assert alert.source_party_id == "dealer-a"
    assert alert.observed_party_id == "store-b"
    assert alert.severity is Severity.HIGH


def test_sub_dealer_shipping_outside_its_territory_is_named() -> None:
    s = scan(Checkpoint.DEALER_SHIP, party=SUB_A1, to=STORE_SOUTH)
    [alert] = run(s, facts(*chain_a_a1()))
    assert alert.source_party_id == "sub-a1"


@pytest.mark.parametrize("to", [STORE_A, SUB_A1, PLANT])
def test_shipping_inside_the_territory_or_back_to_the_plant_is_fine(to: PartyRef) -> None:
    assert run(scan(Checkpoint.DEALER_SHIP, party=DEALER_A, to=to), facts(*chain_a())) == []


def test_ship_alert_and_the_later_receive_are_one_incident() -> None:
    ship = run(scan(Checkpoint.DEALER_SHIP, party=DEALER_A, to=STORE_B), facts(*chain_a()))
    recv = run(scan(Checkpoint.RETAIL_RECEIVE, DAY, party=STORE_B), facts(*chain_a()))
    other = run(
        scan(Checkpoint.RETAIL_RECEIVE, DAY, party=STORE_B, code="code-2"),
        facts(*chain_a(), code="code-2"),
    )
    [incident] = dedupe([*ship, *recv, *other], T)
    assert incident.codes == ("code-1", "code-2")
    assert len(incident.evidence_event_ids) >= 3


# -- consumer clusters -----------------------------------------------------------------------

BEIJING = GeoFix(39.9, 116.4, 30.0)


def _consumer(consumer: str | None, code: str, at: timedelta = timedelta(0)):  # type: ignore[no-untyped-def]
    s = scan(Checkpoint.CONSUMER_VERIFY, at, fix=BEIJING, consumer=consumer, code=code)
    return run(s, facts(*chain_a_a1(), code=code))


def test_one_travelling_consumer_is_low_at_most() -> None:
    [alert] = _consumer("c1", "code-1")
    assert alert.severity is Severity.LOW
    assert alert.reason == "consumer_cluster"
    assert alert.source_party_id == "sub-a1"
    assert alert.key.subject == "territory:west"


def test_the_same_consumer_scanning_many_codes_stays_low() -> None:
    drafts = [d for i in range(10) for d in _consumer("c1", f"code-{i}", i * DAY)]
    [incident] = dedupe(drafts, T)
    assert incident.severity is Severity.LOW


def test_several_consumers_with_several_codes_are_medium_then_high() -> None:
    medium = T.consumer_cluster_medium
    below = [d for i in range(medium - 1) for d in _consumer(f"c{i}", f"code-{i}", i * DAY)]
    assert dedupe(below, T)[0].severity is Severity.LOW
    drafts = [d for i in range(medium) for d in _consumer(f"c{i}", f"code-{i}", i * DAY)]
    [incident] = dedupe(drafts, T)
    assert incident.severity is Severity.MEDIUM
    more = [d for i in range(medium, 8) for d in _consumer(f"c{i}", f"code-{i}", i * DAY)]
    merged = incident
    for d in more:
        merged = merge(merged, d, T)
    assert merged.severity is Severity.HIGH
    assert len(merged.codes) == 8
    assert "8 distinct consumers" in merged.summary


def test_made_up_consumers_on_one_network_stay_one_witness_of_a_cluster() -> None:
    """Found by a security review: eight made-up ids from one machine made a high cluster
    naming the dealer. From one network they are one witness: low."""
    drafts = []
    for i in range(8):
        s = scan(
            Checkpoint.CONSUMER_VERIFY,
            i * DAY,
            fix=BEIJING,
            consumer=f"c{i}",
            code=f"code-{i}",
            network="n1",
        )
        drafts += run(s, facts(*chain_a_a1(), code=f"code-{i}"))
    [incident] = dedupe(drafts, T)
    assert incident.severity is Severity.LOW
    assert incident.witnesses == frozenset({"network:n1"})


def test_many_consumers_of_one_code_are_not_a_diversion_cluster() -> None:
    drafts = [d for i in range(5) for d in _consumer(f"c{i}", "code-1", i * DAY)]
    [incident] = dedupe(drafts, T)
    assert incident.severity is Severity.LOW  # that is clone evidence, not diversion


def test_consumer_near_the_border_or_inside_raises_nothing() -> None:
    near = GeoFix(31.75, east_of_west_edge(-5_000, 31.75), 30.0)
    inside = GeoFix(31.8, 121.5, 30.0)
    for fix in (near, inside, None):
        s = scan(Checkpoint.CONSUMER_VERIFY, fix=fix, consumer="c1")
        assert run(s, facts(*chain_a_a1())) == []


def test_cluster_severity_needs_consumers_and_codes() -> None:
    assert cluster_severity(1, 1, T) is Severity.LOW
    assert cluster_severity(10, 2, T) is Severity.LOW
    medium = T.consumer_cluster_medium
    assert cluster_severity(medium - 1, medium - 1, T) is Severity.LOW
    assert cluster_severity(medium, medium, T) is Severity.MEDIUM
    assert cluster_severity(8, 9, T) is Severity.HIGH


# -- sub-dealers with territories of their own ---------------------------------------------

SUB_NEXT = PartyRef("sub-next", PartyKind.DEALER, "dealer-a", GeoFix(31.5, 122.5))
DEALER_C = PartyRef("dealer-c", PartyKind.DEALER, None, GeoFix(31.5, 122.5))
NEXT_AUTHS = (*AUTHS, Authorization("sub-next", "next"), Authorization("dealer-c", "next"))


def test_shipping_to_an_own_sub_dealer_where_it_is_authorized_is_fine() -> None:
    """Found by a review: a dealer's shipment to its sub-dealer, located in the sub-dealer's
    own authorized territory, was a high `ship_outside_territory` (PRODUCT.md: outside every
    territory authorized for the item's dealer(s) — the sub-dealer's are among them)."""
    ship = scan(Checkpoint.DEALER_SHIP, party=DEALER_A, to=SUB_NEXT)
    assert run(ship, facts(*chain_a(), auths=NEXT_AUTHS)) == []
    received = (*chain_a(), step(SUB_NEXT, -DAY))
    receipt = scan(Checkpoint.DEALER_RECEIVE, party=SUB_NEXT)
    assert run(receipt, facts(*received, auths=NEXT_AUTHS)) == []


def test_shipping_to_another_dealer_where_it_is_authorized_is_still_diversion() -> None:
    ship = scan(Checkpoint.DEALER_SHIP, party=DEALER_A, to=DEALER_C)
    [alert] = run(ship, facts(*chain_a(), auths=NEXT_AUTHS))
    assert alert.reason == "ship_outside_territory"
    assert alert.expected_territory_ids == ("east",)


@pytest.mark.parametrize(
    "auths",
    [
        (*AUTHS, Authorization("sub-next", "west")),  # authorized, but not where it is
        (*AUTHS, Authorization("sub-next", "next", frozenset({"09999999999999"}))),  # other GTIN
    ],
    ids=["elsewhere", "other-gtin"],
)
def test_a_sub_dealer_outside_its_own_authorization_is_still_diversion(
    auths: tuple[Authorization, ...],
) -> None:
    ship = scan(Checkpoint.DEALER_SHIP, party=DEALER_A, to=SUB_NEXT)
    [alert] = run(ship, facts(*chain_a(), auths=auths))
    assert alert.reason == "ship_outside_territory"
