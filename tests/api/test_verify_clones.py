"""A cloned code's finding is stored: later checks answer as reading every check would, and
count every check exactly, without reading them (docs/consumer-verification.md)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from risk_engine.consumer import clone_basis
from risk_engine.thresholds import RiskThresholds
from tests.api import test_verify
from tests.api.test_verify import BEIJING, IN_HZ, IN_SH, commissioned, consumer_events, verify
from tests.pg import SyncDb
from tests.world import World

settings = test_verify.settings  # the endpoint tests' module settings


def finding(db: SyncDb, code: str) -> Any:
    [row] = db.fetch(
        "SELECT clone_reasons, clone_checks, clone_first_event, clone_basis FROM codes"
        " WHERE code = $1",
        code,
    )
    return row


def forget_finding(db: SyncDb, code: str) -> None:
    db.execute(
        "UPDATE codes SET clone_reasons = NULL, clone_checks = NULL, clone_first_event = NULL"
        " WHERE code = $1",
        code,
    )


def code_of(db: SyncDb, payload: str) -> str:
    code: str = db.fetchval("SELECT code FROM codes WHERE payload = $1", payload)
    return code


def test_the_check_that_finds_a_clone_stores_the_finding(world: World, db: SyncDb) -> None:
    """Stored once both clone reasons hold: with one only, the other may still come (and
    come first), so every check is still read."""
    [payload] = commissioned(world)
    code = code_of(db, payload)
    for i in range(4):
        assert verify(world.client, payload, f"buyer-{i}")["verdict"] == "genuine"
    fifth = verify(world.client, payload, "buyer-4")
    assert (fifth["verdict"], fifth["reason"]) == ("suspicious", "too_many_checks")
    assert finding(db, code)["clone_reasons"] is None
    far = verify(world.client, payload, "buyer-5", loc=BEIJING)
    assert (far["verdict"], far["reason"]) == ("suspicious", "verified_elsewhere")
    stored = finding(db, code)
    first = consumer_events(db, code)[0]
    assert list(stored["clone_reasons"]) == ["verified_elsewhere", "too_many_checks"]
    assert (stored["clone_checks"], stored["clone_first_event"]) == (6, first["event_id"])
    assert stored["clone_basis"] == clone_basis(RiskThresholds())


def test_later_checks_answer_as_reading_every_check_would(world: World, db: SyncDb) -> None:
    """The same check answered from the stored finding and, with the finding forgotten, from
    every check of the code: the same verdict, reasons, count and first check."""
    [payload] = commissioned(world)
    code = code_of(db, payload)
    for consumer, place in [("a", IN_SH), ("b", BEIJING), (None, IN_HZ), ("c", None), ("d", IN_SH)]:
        verify(world.client, payload, consumer, loc=place)
    assert finding(db, code)["clone_checks"] == 5
    for consumer, place in [("a", IN_SH), (None, BEIJING)]:
        verify(world.client, payload, consumer, loc=place)
    from_finding = verify(world.client, payload, "e", loc=IN_HZ)
    forget_finding(db, code)
    from_every_check = verify(world.client, payload, "f", loc=IN_HZ)
    assert from_finding["verification_count"] == 8
    assert from_every_check["verification_count"] == 9
    same = ("verdict", "reason", "first_verified_at", "first_verified_region", "points_awarded")
    assert {k: from_finding[k] for k in same} == {k: from_every_check[k] for k in same}
    assert from_finding["message"].replace("8 times", "9 times") == from_every_check["message"]
    assert "far from here; this code was checked by more people" in from_finding["message"]
    assert finding(db, code)["clone_checks"] == 9  # stored again by the full read


def test_the_count_stays_exact_through_forgeries_and_racing_checks(
    world: World, db: SyncDb
) -> None:
    """Every consumer check of the code counts, and checks that arrive together (one group,
    or groups waiting on the code's row lock) count once each. A forged copy of its payload
    is stored as a sighting but is no check of the code: it counts alone."""
    [payload] = commissioned(world)
    code = code_of(db, payload)
    for i in range(5):
        verify(world.client, payload, f"buyer-{i}", loc=BEIJING if i == 4 else IN_SH)
    assert finding(db, code)["clone_checks"] == 5
    forged = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    fake = verify(world.client, forged, "forger")
    assert (fake["verdict"], fake["verification_count"]) == ("counterfeit", 1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda i: verify(world.client, payload, f"racer-{i}", loc=None), range(16))
        )
    assert sorted(a["verification_count"] for a in answers) == list(range(6, 22))
    assert all(a["verdict"] == "suspicious" for a in answers)
    checks = consumer_events(db, code)
    assert [e["verdict"] for e in checks].count("counterfeit") == 1  # stored, not counted
    assert finding(db, code)["clone_checks"] == len(checks) - 1 == 21


def test_a_later_check_reads_the_finding_not_the_checks(world: World, db: SyncDb) -> None:
    """What answers a cloned code's later check is its finding: checks written behind the
    service's back (no path of the service does that) are neither read nor counted."""
    [payload] = commissioned(world)
    code = code_of(db, payload)
    for i in range(5):
        verify(world.client, payload, f"buyer-{i}", loc=BEIJING if i == 4 else IN_SH)
    hide_checks(db, code, payload, 100)
    assert verify(world.client, payload, "buyer-5")["verification_count"] == 6
    forget_finding(db, code)
    assert verify(world.client, payload, "buyer-6")["verification_count"] == 107


def test_no_finding_is_stored_while_the_first_checker_had_no_location(
    world: World, db: SyncDb
) -> None:
    """The first checker's location may still come and join the far places into one (then
    `verified_elsewhere` would go): every check stays read."""
    [payload] = commissioned(world)
    code = code_of(db, payload)
    for consumer, place in [("x", None), ("a", IN_SH), ("b", BEIJING), ("c", IN_SH)]:
        verify(world.client, payload, consumer, loc=place)
    both = verify(world.client, payload, "d", loc=IN_SH)
    assert (both["verdict"], both["reason"]) == ("suspicious", "verified_elsewhere")
    assert "more people than one item" in both["message"]
    assert finding(db, code)["clone_reasons"] is None


def hide_checks(db: SyncDb, code: str, payload: str, n: int) -> None:
    """Checks written behind the service's back: only a full read sees them."""
    db.execute(
        """INSERT INTO scan_events (event_id, code, payload, checkpoint, scanned_at, verdict,
                                    response)
           SELECT gen_random_uuid(), $1, $2, 'consumer_verify', now(), 'genuine', '{}'
           FROM generate_series(1, $3::int)""",
        code,
        payload,
        n,
    )


def test_a_finding_made_under_other_thresholds_is_read_again(world: World, db: SyncDb) -> None:
    """A finding holds under the thresholds it was made with: one stored under others (or
    before bases were stored) is not trusted; the check reads every check and stores the
    finding again, under today's basis."""
    [payload] = commissioned(world)
    code = code_of(db, payload)
    for i in range(5):
        verify(world.client, payload, f"buyer-{i}", loc=BEIJING if i == 4 else IN_SH)
    hide_checks(db, code, payload, 10)
    for stale in ("rules=1;witnesses=3;distance_m=50000;session_s=1800;session_m=2000", None):
        db.execute("UPDATE codes SET clone_basis = $2 WHERE code = $1", code, stale)
        again = verify(world.client, payload, f"again-{stale is None}")
        assert again["verification_count"] == len(consumer_events(db, code))
        assert again["reason"] == "verified_elsewhere"
        stored = finding(db, code)
        assert stored["clone_basis"] == clone_basis(RiskThresholds())
        assert stored["clone_checks"] == len(consumer_events(db, code))


def test_a_finding_whose_first_check_is_gone_is_read_in_full(world: World, db: SyncDb) -> None:
    """Nothing deletes checks; should the finding's first check go missing all the same, the
    answer names the earliest check there is, not the check in hand, and counts them all."""
    [payload] = commissioned(world)
    code = code_of(db, payload)
    for i in range(5):
        verify(world.client, payload, f"buyer-{i}", loc=BEIJING if i == 4 else IN_SH)
    first, second = consumer_events(db, code)[:2]
    db.execute("DELETE FROM scan_events WHERE event_id = $1", first["event_id"])
    later = verify(world.client, payload, "buyer-5", loc=IN_SH)
    assert later["verification_count"] == 5
    assert datetime.fromisoformat(later["first_verified_at"]) == second["scanned_at"]
    assert later["reason"] == "verified_elsewhere"
    assert finding(db, code)["clone_first_event"] == second["event_id"]


def test_forged_copies_checked_far_away_leave_the_genuine_code_alone(
    world: World, db: SyncDb
) -> None:
    """Somebody read a code's serial off a shelf and put a made-up signature on it: five
    people far apart check that copy. Each is told counterfeit and each check is stored with
    its counterfeit alert, but none is a check of the genuine code: its buyer is told genuine,
    first check, and is paid; no clone is found (found by a review: it was `suspicious`,
    unpaid, with a stored finding and a clone alert)."""
    [payload] = commissioned(world)
    code = code_of(db, payload)
    forged = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    far = [BEIJING, (23.13, 113.26), (30.59, 114.31), (22.54, 114.06), (29.56, 106.55)]
    for i, place in enumerate(far):
        fake = verify(world.client, forged, f"forger-{i}", loc=place)
        assert (fake["verdict"], fake["reason"]) == ("counterfeit", "bad_signature")
        assert (fake["verification_count"], fake["points_awarded"]) == (1, 0)
    mine = verify(world.client, payload, "buyer", loc=IN_SH)
    assert (mine["verdict"], mine["verification_count"], mine["points_awarded"]) == (
        "genuine",
        1,
        10,
    )
    assert mine["message"].startswith("Genuine product. This is the first check of this code.")
    again = verify(world.client, payload, "buyer", loc=IN_SH)
    assert (again["verification_count"], again["first_verified_at"]) == (
        2,
        mine["first_verified_at"],
    )
    assert finding(db, code)["clone_reasons"] is None
    kinds = db.fetch(
        "SELECT a.type FROM alerts a JOIN alert_codes c ON c.alert_id = a.id WHERE c.code = $1",
        code,
    )
    types = [k["type"] for k in kinds]  # (and impossible travel from the plant, seconds ago)
    assert types.count("counterfeit") == 5 and "clone" not in types
    verdicts = [e["verdict"] for e in consumer_events(db, code)]
    assert verdicts == ["counterfeit"] * 5 + ["genuine"] * 2
