"""Pure custody rules: inheritance through containers, interval edges, custody chains."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from traceability.custody.chain import (
    build_custody,
    custodians,
    custody_steps,
    effective_events,
    involved,
    windows,
)
from traceability.custody.models import CodeInfo, EffectiveEvent, Event, Membership, code_status
from traceability.events import Checkpoint as C

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
ITEM, CASE, CASE_B, PALLET = "sgtin:item", "sscc:case", "sscc:case-b", "sscc:pallet"


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def ev(
    event_id: str,
    code: str,
    checkpoint: C,
    at: float,
    party: str | None = "plant",
    to: str | None = None,
    recorded: float | None = None,
    verdict: str = "genuine",
) -> Event:
    return Event(
        event_id=event_id,
        code=code,
        checkpoint=checkpoint,
        party_id=party,
        scanned_at=h(at),
        recorded_at=h(recorded if recorded is not None else at),
        to_party_id=to,
        verdict=verdict,
    )


def member(
    child: str,
    parent: str,
    packed: float,
    unpacked: float | None = None,
    pack_event: str | None = None,
    unpack_event: str | None = None,
) -> Membership:
    return Membership(
        child,
        parent,
        h(packed),
        h(unpacked) if unpacked is not None else None,
        pack_event,
        unpack_event,
    )


def ids(events: list[EffectiveEvent]) -> list[tuple[str, str | None]]:
    return [(e.event.event_id, e.via) for e in events]


# item → case (packed at 1) → pallet (packed at 2); pallet shipped, received; case unpacked
# at the store at 6; item sold at 7.
CHAIN_EVENTS = [
    ev("commission", ITEM, C.COMMISSION, 0),
    ev("pack-case", CASE, C.PACK, 1),
    ev("pack-pallet", PALLET, C.PACK, 2),
    ev("ship", PALLET, C.SHIP, 3, to="dealer-sh"),
    ev("receive", PALLET, C.DEALER_RECEIVE, 4, party="dealer-sh"),
    ev("ship-case", CASE, C.DEALER_SHIP, 5, party="dealer-sh", to="store-sh"),
    ev("unpack", CASE, C.RETAIL_RECEIVE, 6, party="store-sh"),
    ev("sell", ITEM, C.RETAIL_SELL, 7, party="store-sh"),
    ev("case-later", CASE, C.RETAIL_RECEIVE, 8, party="store-hz"),
]
CHAIN_MEMBERS = [
    member(ITEM, CASE, 1, 6, "pack-case", "unpack"),
    member(CASE, PALLET, 2, 4.5, "pack-pallet", "unpack-pallet"),
]


def test_two_level_inheritance_names_the_container() -> None:
    events = [*CHAIN_EVENTS, ev("unpack-pallet", PALLET, C.DEALER_RECEIVE, 4.5, "dealer-sh")]
    result = effective_events(ITEM, reversed(events), CHAIN_MEMBERS)
    assert ids(result) == [
        ("commission", None),
        ("pack-case", CASE),
        ("pack-pallet", PALLET),
        ("ship", PALLET),
        ("receive", PALLET),
        ("unpack-pallet", PALLET),  # the scan that opened the pallet still held the case
        ("ship-case", CASE),
        ("unpack", CASE),  # the receive that opened the case counts for its contents
        ("sell", None),
    ]
    assert custodians(result) == ["plant", "dealer-sh", "store-sh"]


def test_the_case_itself_inherits_only_from_the_pallet() -> None:
    result = effective_events(CASE, CHAIN_EVENTS, CHAIN_MEMBERS)
    assert ids(result) == [
        ("pack-case", None),
        ("pack-pallet", PALLET),
        ("ship", PALLET),
        ("receive", PALLET),
        ("ship-case", None),
        ("unpack", None),
        ("case-later", None),
    ]


def test_interval_boundaries_are_half_open() -> None:
    members = [member(ITEM, CASE, 1, 5, "pack", "other-pack")]
    events = [
        ev("before", CASE, C.WAREHOUSE_IN, 0.999),
        ev("at-pack", CASE, C.PACK, 1),
        ev("inside", CASE, C.WAREHOUSE_IN, 3),
        ev("at-unpack", CASE, C.WAREHOUSE_IN, 5),  # not the unpacking scan: already out
        ev("after", CASE, C.SHIP, 6, to="dealer-sh"),
    ]
    assert ids(effective_events(ITEM, events, members)) == [("at-pack", CASE), ("inside", CASE)]


def test_level_two_intervals_are_intersected() -> None:
    # The case was on the pallet 0..4, the item in the case only from 2 to 3.
    members = [member(ITEM, CASE, 2, 3), member(CASE, PALLET, 0, 4, unpack_event="pal-open")]
    events = [
        ev("pal-1", PALLET, C.WAREHOUSE_IN, 1),
        ev("pal-2", PALLET, C.WAREHOUSE_IN, 2.5),
        ev("pal-3", PALLET, C.WAREHOUSE_IN, 3.5),
        ev("pal-open", PALLET, C.DEALER_RECEIVE, 4, "dealer-sh"),
    ]
    assert ids(effective_events(ITEM, events, members)) == [("pal-2", PALLET)]
    spans = windows(ITEM, members)
    assert [(w.container, w.start, w.end, w.depth) for w in spans] == [
        (CASE, h(2), h(3), 1),
        (PALLET, h(2), h(3), 2),
    ]


def test_only_two_levels_are_followed() -> None:
    members = [member(ITEM, CASE, 0), member(CASE, PALLET, 0), member(PALLET, "sscc:x", 0)]
    events = [ev("x", "sscc:x", C.SHIP, 1, to="dealer-sh"), ev("p", PALLET, C.WAREHOUSE_IN, 1)]
    assert ids(effective_events(ITEM, events, members)) == [("p", PALLET)]


def test_repack_moves_inheritance_to_the_new_case() -> None:
    members = [
        member(ITEM, CASE, 1, 3, "pack-a", "pack-b"),
        member(ITEM, CASE_B, 3, None, "pack-b"),
    ]
    events = [
        ev("pack-a", CASE, C.PACK, 1),
        ev("pack-b", CASE_B, C.PACK, 3),
        ev("a-ship", CASE, C.SHIP, 4, to="dealer-hz"),
        ev("b-ship", CASE_B, C.SHIP, 4, to="dealer-sh"),
    ]
    result = effective_events(ITEM, events, members)
    assert ids(result) == [("pack-a", CASE), ("pack-b", CASE_B), ("b-ship", CASE_B)]
    assert custodians(result) == ["plant", "dealer-sh"]


def test_unpack_stops_inheritance_and_the_unpacking_scan_still_counts() -> None:
    members = [member(ITEM, CASE, 1, 5, "pack", "open")]
    events = [
        ev("pack", CASE, C.PACK, 1),
        ev("open", CASE, C.DEALER_RECEIVE, 5, "dealer-sh"),
        ev("reship", CASE, C.DEALER_SHIP, 6, "dealer-sh", to="store-hz"),
    ]
    result = effective_events(ITEM, events, members)
    assert ids(result) == [("pack", CASE), ("open", CASE)]
    assert custodians(result) == ["plant", "dealer-sh"]


def test_out_of_order_uploads_are_ordered_by_scan_time_then_arrival() -> None:
    events = [
        ev("late", ITEM, C.DEALER_RECEIVE, 2, "dealer-sh", recorded=10),
        ev("tie-second", ITEM, C.WAREHOUSE_IN, 1, recorded=6),
        ev("tie-first", ITEM, C.WAREHOUSE_IN, 1, recorded=5),
        ev("first", ITEM, C.COMMISSION, 0, recorded=9),
        ev("ship", ITEM, C.SHIP, 1.5, to="dealer-sh", recorded=1.5),
    ]
    result = effective_events(ITEM, events, [])
    assert [e.event.event_id for e in result] == [
        "first",
        "tie-first",
        "tie-second",
        "ship",
        "late",
    ]
    # A container scan uploaded late still lands in the interval it was scanned in.
    members = [member(ITEM, CASE, 1, 3)]
    late_case = ev("late-case", CASE, C.WAREHOUSE_IN, 2, recorded=20)
    assert ids(effective_events(ITEM, [late_case], members)) == [("late-case", CASE)]


def test_an_event_counts_once_even_through_two_paths() -> None:
    members = [member(ITEM, CASE, 0), member(ITEM, CASE, 0), member(CASE, PALLET, 0)]
    events = [ev("p", PALLET, C.WAREHOUSE_IN, 1), ev("c", CASE, C.WAREHOUSE_IN, 1)]
    assert sorted(ids(effective_events(ITEM, events, members))) == [("c", CASE), ("p", PALLET)]


def test_custody_dedupes_consecutive_parties_only() -> None:
    events = [
        ev("c", ITEM, C.COMMISSION, 0),
        ev("w", ITEM, C.WAREHOUSE_IN, 1),
        ev("s", ITEM, C.SHIP, 2, to="dealer-sh"),
        ev("r", ITEM, C.DEALER_RECEIVE, 3, "dealer-sh"),
        ev("ds", ITEM, C.DEALER_SHIP, 4, "dealer-sh", to="dealer-hz"),
        ev("hz", ITEM, C.DEALER_SHIP, 5, "dealer-hz", to="dealer-sh"),
        ev("back", ITEM, C.DEALER_RECEIVE, 6, "dealer-sh"),
        ev("v", ITEM, C.CONSUMER_VERIFY, 7, None),
    ]
    effective = effective_events(ITEM, events, [])
    assert custodians(effective) == ["plant", "dealer-sh", "dealer-hz", "dealer-sh"]
    steps = custody_steps(effective)
    assert [(s.event_id, s.checkpoint) for s in steps] == [
        ("c", C.COMMISSION),
        ("s", C.SHIP),
        ("ds", C.DEALER_SHIP),
        ("hz", C.DEALER_SHIP),
    ]
    assert steps[1].since == h(2)


def test_shippers_and_sellers_without_receive_are_custodians() -> None:
    events = [
        ev("c", ITEM, C.COMMISSION, 0),
        ev("s", ITEM, C.SHIP, 1, to="dealer-sh"),
        ev("sold", ITEM, C.RETAIL_SELL, 2, "store-hz"),
    ]
    assert custodians(effective_events(ITEM, events, [])) == ["plant", "dealer-sh", "store-hz"]


def test_counterfeit_sightings_hold_nothing() -> None:
    events = [
        ev("c", ITEM, C.COMMISSION, 0),
        ev("fake", ITEM, C.RETAIL_SELL, 1, "store-hz", verdict="counterfeit"),
    ]
    effective = effective_events(ITEM, events, [])
    assert [e.event.event_id for e in effective] == ["c", "fake"]  # still shown in the trace
    assert custodians(effective) == ["plant"]
    assert not involved("store-hz", effective)
    assert involved("plant", effective)


def test_involved_covers_consignees_and_container_scans() -> None:
    events = [
        ev("c", ITEM, C.COMMISSION, 0),
        ev("ship", CASE, C.SHIP, 2, to="dealer-sh"),
        ev("late", CASE, C.DEALER_SHIP, 9, "dealer-hz", to="store-hz"),
    ]
    effective = effective_events(ITEM, events, [member(ITEM, CASE, 1, 5)])
    assert involved("dealer-sh", effective)
    assert not involved("dealer-hz", effective)
    assert not involved("store-hz", effective)


def test_build_custody_and_status() -> None:
    info = CodeInfo(ITEM, "item", "05901234123457", "L1", code_status(True, False), "plant")
    custody = build_custody(info, CHAIN_EVENTS, CHAIN_MEMBERS)
    assert custody.custodians == ["plant", "dealer-sh", "store-sh"]
    assert info.status == "commissioned"
    assert code_status(False, False) == "issued"
    assert code_status(True, True) == "revoked"
