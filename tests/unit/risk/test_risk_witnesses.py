"""Grouping consumer checks into witnesses: the linear grouping agrees with the definition."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from risk_factories import scan

from risk_engine.evidence import Witness, separation_m, usable_fix, witnesses
from risk_engine.models import Checkpoint, GeoFix, ScanFact
from risk_engine.thresholds import RiskThresholds

T = RiskThresholds()
MIN = timedelta(minutes=1)
PLACES = [
    None,
    GeoFix(31.23, 121.47, 30.0),  # Shanghai
    GeoFix(31.24, 121.48, 30.0),  # ~1.4 km away: the same session's radius
    GeoFix(39.9, 116.4, 30.0),  # Beijing
    GeoFix(31.5, 121.47, 5_000.0),  # vague: overlaps Shanghai's fixes
    GeoFix(31.23, 121.47, 20_000.0),  # too vague to be evidence at all
]


Grouped = list[tuple[str, list[str], GeoFix | None]]  # key, event ids, first usable fix


def by_definition(checks: list[ScanFact], t: RiskThresholds) -> Grouped:
    """The docstring of `witnesses`, written the plain (quadratic) way: every session ever
    opened is offered each anonymous check, in the order they were opened."""
    ordered = sorted(checks, key=lambda c: (c.scanned_at, c.event_id))
    groups: dict[str, list[ScanFact]] = {}
    sessions: list[list[ScanFact]] = []
    ids_on: dict[str, set[str | None]] = {}
    for check in ordered:
        if check.network:
            ids_on.setdefault(check.network, set()).add(check.consumer_id)
    person_of = {}
    for check in ordered:
        own = check.network and ids_on[check.network] == {check.consumer_id}
        if check.network and not (own and check.consumer_id):
            person_of[check.event_id] = f"network:{check.network}"
        elif check.consumer_id:
            person_of[check.event_id] = f"consumer:{check.consumer_id}"
    for check in ordered:
        if check.event_id in person_of:
            groups.setdefault(person_of[check.event_id], []).append(check)
            continue
        fix = usable_fix(check.location, t)
        for session in sessions:
            first = next((f for c in session if (f := usable_fix(c.location, t))), None)
            near = fix is None or first is None or separation_m(fix, first) <= t.session_radius_m
            if check.scanned_at - session[-1].scanned_at <= t.session_window and near:
                session.append(check)
                break
        else:
            sessions.append([check])
            groups[f"anonymous:{check.event_id}"] = sessions[-1]
    return [
        (
            key,
            [c.event_id for c in found],
            next((f for c in found if (f := usable_fix(c.location, t))), None),
        )
        for key, found in groups.items()
    ]


def grouped(found: list[Witness]) -> Grouped:
    return [(w.key, list(w.event_ids), w.fix) for w in found]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, None, None, "c1", "c2"]),
            st.integers(0, 240),
            st.integers(0, len(PLACES) - 1),
            st.sampled_from([None, None, None, "n1", "n2"]),
        ),
        max_size=25,
    )
)
def test_the_linear_grouping_agrees_with_the_definition(
    checks: list[tuple[str | None, int, int, str | None]],
) -> None:
    facts = [
        scan(
            Checkpoint.CONSUMER_VERIFY,
            minute * MIN,
            fix=PLACES[place],
            consumer=consumer,
            network=network,
        )
        for consumer, minute, place, network in checks
    ]
    assert grouped(witnesses(facts, T)) == by_definition(facts, T)


def test_thousands_of_one_check_sessions_are_each_a_witness() -> None:
    """A cloned code checked by anonymous strangers, hours apart: every check is a witness
    (the case that was quadratic)."""
    facts = [
        scan(Checkpoint.CONSUMER_VERIFY, 40 * MIN * i, fix=PLACES[1 + i % 3]) for i in range(3_000)
    ]
    found = witnesses(facts, T)
    assert len(found) == 3_000
    assert [w.fix for w in found[:3]] == PLACES[1:4]


def test_made_up_consumer_ids_from_one_network_are_one_witness() -> None:
    """Found by a security review: one machine claiming five consumer ids made five
    witnesses, a clone by the rule. The network counts, whatever ids it claims; one
    consumer id seen from several networks (home, a mobile address) is one witness too."""
    same_net = [
        scan(Checkpoint.CONSUMER_VERIFY, i * MIN, fix=PLACES[1], consumer=f"c{i}", network="n1")
        for i in range(5)
    ]
    assert [w.key for w in witnesses(same_net, T)] == ["network:n1"]
    travels = [  # home, then a mobile address, then a check stored before networks were kept
        scan(Checkpoint.CONSUMER_VERIFY, i * MIN, fix=PLACES[1], consumer="c1", network=net)
        for i, net in enumerate(["n1", "n2", None])
    ]
    assert [w.key for w in witnesses(travels, T)] == ["consumer:c1"]


def test_a_made_up_id_on_many_shared_networks_glues_no_strangers_together() -> None:
    """Found by a review: joining witnesses through any shared id let a counterfeiter seed
    one made-up id from many shared addresses and fold every later stranger there into it."""
    seeded = [
        scan(Checkpoint.CONSUMER_VERIFY, i * MIN, fix=PLACES[1], consumer="seed", network=f"n{i}")
        for i in range(3)
    ]
    victims = [
        scan(
            Checkpoint.CONSUMER_VERIFY,
            (10 + i) * MIN,
            fix=PLACES[3],
            consumer=f"v{i}",
            network=f"n{i}",
        )
        for i in range(3)
    ]
    assert len(witnesses(victims, T)) == 3
    assert len(witnesses([*seeded, *victims], T)) == 3
