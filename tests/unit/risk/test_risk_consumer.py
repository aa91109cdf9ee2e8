from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from risk_factories import chain_a, facts, scan

from risk_engine.consumer import (
    CLONE_FINDING,
    ClaimHistory,
    LoyaltyPolicy,
    LoyaltyReason,
    Reason,
    Verdict,
    VerificationInput,
    clone_basis,
    verify,
)
from risk_engine.models import Checkpoint, CodeStatus, GeoFix, ScanFact, SignatureCheck
from risk_engine.thresholds import RiskThresholds

SHANGHAI = GeoFix(31.23, 121.47, 30.0)
BEIJING = GeoFix(39.9, 116.4, 30.0)
DAY = timedelta(days=1)
MIN = timedelta(minutes=1)


def check(
    consumer: str | None = "c1", at: timedelta = timedelta(0), fix: GeoFix | None = SHANGHAI
) -> ScanFact:
    return scan(Checkpoint.CONSUMER_VERIFY, at, fix=fix, consumer=consumer)


def run(c: ScanFact, *history: ScanFact, **kw: object):  # type: ignore[no-untyped-def]
    f = kw.pop("facts", facts(*chain_a(), history=history))
    sig = kw.pop("signature", SignatureCheck.VALID)
    return verify(VerificationInput(c, sig, f, **kw))  # type: ignore[arg-type]


def test_first_genuine_check_earns_points() -> None:
    r = run(check())
    assert r.verdict is Verdict.GENUINE and r.reasons == ()
    assert r.verification_count == 1 and r.distinct_checkers == 1
    assert r.loyalty.eligible and r.loyalty.points == 10
    assert r.message == "Genuine product. This is the first check of this code."


def test_message_counts_checks_and_names_first_place() -> None:
    first = check(at=-7 * DAY)
    r = run(check(), first, check(at=-3 * DAY), places={first.event_id: "Shanghai"})
    assert r.verdict is Verdict.GENUINE
    assert r.verification_count == 3
    assert r.distinct_checkers == 1  # the same consumer at home, three times
    assert r.message == (
        "Genuine product. Checked 3 times, first on 2026-11-13 08:00 UTC in Shanghai."
    )
    assert r.first_verified_place == "Shanghai"


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (SignatureCheck.MALFORMED, Reason.MALFORMED_PAYLOAD),
        (SignatureCheck.UNKNOWN_CODE, Reason.UNKNOWN_CODE),
        (SignatureCheck.BAD_SIGNATURE, Reason.BAD_SIGNATURE),
        (SignatureCheck.REVOKED_KEY, Reason.REVOKED_KEY),
        (SignatureCheck.REVOKED_BATCH, Reason.REVOKED_BATCH),
    ],
)
def test_counterfeit_reasons(signature: SignatureCheck, reason: Reason) -> None:
    r = run(check(), signature=signature)
    assert (r.verdict, r.reasons) == (Verdict.COUNTERFEIT, (reason,))
    assert r.message.startswith("Counterfeit.")
    assert not r.loyalty.eligible and r.loyalty.reason is LoyaltyReason.NOT_GENUINE


def test_unknown_code_without_facts_is_counterfeit() -> None:
    r = run(check(), facts=None)
    assert r.reasons == (Reason.UNKNOWN_CODE,)


def test_never_commissioned_is_suspicious() -> None:
    r = run(check(), facts=facts(status=CodeStatus.ISSUED))
    assert (r.verdict, r.reasons) == (Verdict.SUSPICIOUS, (Reason.NEVER_COMMISSIONED,))
    assert "never applied" in r.message


def test_checked_by_others_far_away_just_before_is_suspicious() -> None:
    far = check("c2", -30 * MIN, BEIJING)  # no item gets from Beijing to Shanghai that fast
    r = run(check("c1"), far)
    assert (r.verdict, r.reasons) == (Verdict.SUSPICIOUS, (Reason.VERIFIED_ELSEWHERE,))
    assert not r.loyalty.eligible


def test_checked_far_away_days_before_is_an_item_that_travelled() -> None:
    """A gift or a resale: the verdict stays genuine, and the message tells where it was
    first checked, so the consumer can judge for themselves."""
    far = check("c2", -DAY, BEIJING)
    r = run(check("c1"), far)
    assert (r.verdict, r.reasons) == (Verdict.GENUINE, ())
    assert "2 times" in r.message


def test_a_traveller_whose_relative_checked_it_elsewhere_stays_genuine() -> None:
    """c1 checked at home, took the item to Beijing where c2 checked it, and checks again on
    coming home: every step is a trip an item can make."""
    history = (check("c1", -3 * DAY), check("c2", -DAY, BEIJING))
    assert run(check("c1"), *history).verdict is Verdict.GENUINE
    assert run(check("c1", fix=BEIJING), *history).verdict is Verdict.GENUINE


def test_a_recheck_no_item_could_link_with_anothers_check_is_suspicious() -> None:
    history = (check("c1", -2 * DAY), check("c2", -30 * MIN, BEIJING))
    r = run(check("c1"), *history)
    assert (r.verdict, r.reasons) == (Verdict.SUSPICIOUS, (Reason.VERIFIED_ELSEWHERE,))


def test_many_distinct_checkers_is_suspicious_but_repeats_are_not() -> None:
    others = [check(f"c{i}", -i * DAY) for i in range(1, 5)]
    assert run(check("c0"), *others).reasons == (Reason.TOO_MANY_CHECKS,)
    mine = [check("c0", -i * MIN) for i in range(1, 30)]
    assert run(check("c0"), *mine).verdict is Verdict.GENUINE
    anonymous = [check(None, -i * MIN) for i in range(1, 10)]
    assert run(check(None), *anonymous).verdict is Verdict.GENUINE


def test_made_up_consumer_ids_from_one_network_do_not_make_a_clone() -> None:
    """Found by a security review: five ids from one machine made a code suspicious for
    good (its buyer lost the points). Checks from one network are one witness."""

    def from_net(consumer: str, ago: timedelta, network: str) -> ScanFact:
        return scan(
            Checkpoint.CONSUMER_VERIFY, -ago, fix=SHANGHAI, consumer=consumer, network=network
        )

    one_machine = [from_net(f"c{i}", i * DAY, "n1") for i in range(1, 5)]
    assert run(from_net("c0", timedelta(0), "n1"), *one_machine).verdict is Verdict.GENUINE
    five_homes = [from_net(f"c{i}", i * DAY, f"n{i}") for i in range(1, 5)]
    suspicious = run(from_net("c0", timedelta(0), "n0"), *five_homes)
    assert suspicious.reasons == (Reason.TOO_MANY_CHECKS,)


def test_expired_is_reported_but_still_genuine() -> None:
    r = run(check(), expiry=date(2026, 1, 1))
    assert (r.verdict, r.reasons) == (Verdict.GENUINE, (Reason.EXPIRED,))
    assert "Expired on 2026-01-01." in r.message


@pytest.mark.parametrize(
    ("kw", "history", "reason"),
    [
        ({"claims": ClaimHistory(code_already_claimed=True)}, (), LoyaltyReason.ALREADY_CLAIMED),
        ({"inner_code_required": True}, (), LoyaltyReason.INNER_CODE_REQUIRED),
        ({"inner_code_required": True, "inner_code_ok": False}, (), LoyaltyReason.INNER_CODE_WRONG),
        (
            {"inner_code_required": True, "inner_code_locked": True},
            (),
            LoyaltyReason.INNER_CODE_LOCKED,
        ),
        ({"claims": ClaimHistory(consumer_claims_today=20)}, (), LoyaltyReason.DAILY_LIMIT),
        (
            {"claims": ClaimHistory(consumer_claims_today=1, network_claims_today=100)},
            (),
            LoyaltyReason.NETWORK_DAILY_LIMIT,
        ),
        (
            {"claims": ClaimHistory(consumer_regions=frozenset({"a", "b", "c"})), "region": "d"},
            (),
            LoyaltyReason.TOO_MANY_REGIONS,
        ),
        ({}, ("other",), LoyaltyReason.NOT_FIRST_VERIFICATION),
    ],
)
def test_loyalty_refusals(
    kw: dict[str, object], history: tuple[str, ...], reason: LoyaltyReason
) -> None:
    prior = [check(h, -DAY) for h in history]
    r = run(check("c1"), *prior, **kw)
    assert r.verdict is Verdict.GENUINE
    assert (r.loyalty.eligible, r.loyalty.points, r.loyalty.reason) == (False, 0, reason)


def test_loyalty_successes() -> None:
    assert run(check(), inner_code_required=True, inner_code_ok=True).loyalty.eligible
    regions = ClaimHistory(consumer_regions=frozenset({"a", "b", "c"}))
    assert run(check(), claims=regions, region="a").loyalty.eligible
    assert run(check("c1"), check("c1", -MIN)).loyalty.eligible  # own earlier check
    assert not run(check(None)).loyalty.eligible
    lenient = LoyaltyPolicy(first_verification_only=False)
    r = verify(
        VerificationInput(check("c1"), SignatureCheck.VALID, facts(history=(check("c2", -DAY),))),
        policy=lenient,
    )
    assert r.loyalty.eligible


def test_only_a_code_in_trade_pays_and_checks_before_it_left_do_not_count() -> None:
    """A code pays once it has left the plant (`shipped_at`, from its custody); a check made
    before (quality control, or labels taken at the line) is no first verification."""
    now = check("c1").scanned_at
    assert run(check(), shipped_at=None).loyalty.reason is LoyaltyReason.NOT_SHIPPED
    later = run(check(), shipped_at=now + MIN)  # shipped after this check: not yet in trade
    assert later.loyalty.reason is LoyaltyReason.NOT_SHIPPED
    qa = check("qa", -DAY)
    assert run(check("c1"), qa, shipped_at=now - MIN).loyalty.eligible
    after = check("other", -timedelta(seconds=30))
    refused = run(check("c1"), qa, after, shipped_at=now - MIN).loyalty
    assert refused.reason is LoyaltyReason.NOT_FIRST_VERIFICATION
    assert run(check(None), shipped_at=None).loyalty.reason is LoyaltyReason.NO_CONSUMER
    claimed = ClaimHistory(code_already_claimed=True)  # shipped_at is not looked up for it
    paid = run(check(), shipped_at=None, claims=claimed).loyalty.reason
    assert paid is LoyaltyReason.ALREADY_CLAIMED


# -- a stored clone finding ------------------------------------------------------------------


def _cloned_history() -> tuple[ScanFact, ...]:
    """Five people, one of them in Beijing: both clone reasons."""
    return tuple(
        check(f"c{i}", i * DAY - 10 * DAY, BEIJING if i == 4 else SHANGHAI) for i in range(5)
    )


def test_a_final_clone_finding_is_both_reasons_and_nothing_less() -> None:
    history = _cloned_history()
    both = run(check("c9"), *history)
    assert both.final_clone == (Reason.VERIFIED_ELSEWHERE, Reason.TOO_MANY_CHECKS)
    one_city = run(check("c9"), *history[:4])  # five people, all in Shanghai
    assert one_city.reasons == (Reason.TOO_MANY_CHECKS,)
    assert one_city.final_clone == ()  # Beijing may still come, and come first


def test_a_stored_finding_answers_as_the_checks_it_stands_for() -> None:
    """Given the first check and the count of the others, the finding gives the answer that
    grouping every check gives."""
    history = _cloned_history()
    full = run(check("c9"), *history, places={history[0].event_id: "Shanghai"})
    stored = run(
        check("c9"),
        history[0],
        places={history[0].event_id: "Shanghai"},
        known_clone=full.final_clone,
        unread_checks=len(history) - 1,
    )
    assert stored.distinct_checkers is None and full.distinct_checkers == 6
    assert (stored.verdict, stored.reasons, stored.message, stored.loyalty) == (
        full.verdict,
        full.reasons,
        full.message,
        full.loyalty,
    )
    assert (stored.verification_count, stored.first_verified_at) == (6, history[0].scanned_at)


def test_no_finding_while_the_first_witness_has_no_location() -> None:
    """A first witness without a fix may get one later that joins the far places into one:
    the full read would then drop `verified_elsewhere`, so the finding is not final."""
    west = GeoFix(31.23, 120.81, 30.0)  # ~63 km from Shanghai
    between = GeoFix(31.23, 121.14, 30.0)  # ~31 km from each
    history = (
        check("x", -10 * DAY, None),
        check("a", -9 * DAY),
        check("b", -8 * DAY, west),
        check("c", -7 * DAY),
    )
    both = run(check("d", -6 * DAY), *history)
    assert both.reasons == (Reason.VERIFIED_ELSEWHERE, Reason.TOO_MANY_CHECKS)
    assert both.final_clone == ()
    x_again = run(check("x", -5 * DAY, between), *history, check("d", -6 * DAY))
    assert x_again.reasons == (Reason.TOO_MANY_CHECKS,)  # why it could not be stored


_PLACES = [
    None,
    SHANGHAI,
    GeoFix(31.23, 120.81, 30.0),
    GeoFix(31.23, 121.14, 30.0),
    BEIJING,
    GeoFix(31.23, 121.47, 20_000.0),  # no evidence
]


@settings(max_examples=300, deadline=None)
@example([("x", 1, 0), ("a", 1, 1), ("b", 1, 2), ("c", 1, 1), ("d", 1, 1), ("x", 1, 3)])
@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, None, "a", "b", "c", "d", "e", "f"]),
            st.integers(1, 600),
            st.integers(0, len(_PLACES) - 1),
        ),
        min_size=5,
        max_size=14,
    )
)
def test_a_final_finding_is_what_every_later_full_read_finds(
    steps: list[tuple[str | None, int, int]],
) -> None:
    """Once a check's clone reasons are final, every later check, read in full, has them."""
    at, checks = timedelta(0), []
    for consumer, minutes, place in steps:
        at += minutes * MIN * 7
        checks.append(check(consumer, at, _PLACES[place]))
    final: tuple[Reason, ...] = ()
    for i, one in enumerate(checks):
        r = run(one, *checks[:i])
        clone = tuple(x for x in r.reasons if x in CLONE_FINDING)
        if final:
            assert clone == final
        final = final or r.final_clone


def test_a_forged_copy_of_a_cloned_code_is_still_counterfeit() -> None:
    """...and no check of the code: it counts alone, whatever the code's finding says."""
    r = run(
        check("c9"),
        signature=SignatureCheck.BAD_SIGNATURE,
        known_clone=(Reason.VERIFIED_ELSEWHERE, Reason.TOO_MANY_CHECKS),
        unread_checks=40,
    )
    assert (r.verdict, r.reasons, r.verification_count) == (
        Verdict.COUNTERFEIT,
        (Reason.BAD_SIGNATURE,),
        1,
    )
    assert r.final_clone == ()


def _forged(consumer: str, at: timedelta, fix: GeoFix) -> ScanFact:
    return scan(
        Checkpoint.CONSUMER_VERIFY,
        at,
        fix=fix,
        consumer=consumer,
        signature=SignatureCheck.BAD_SIGNATURE,
    )


def test_forged_copies_checks_are_no_witnesses_and_take_no_points() -> None:
    """Five people far apart checked forged copies (the serial read off a shelf, a made-up
    signature): the buyer's genuine check is still the first, genuine and paid."""
    cities = [BEIJING, GeoFix(23.13, 113.26, 30.0), GeoFix(30.59, 114.31, 30.0)]
    forged = [_forged(f"f{i}", i * MIN - DAY, cities[i % 3]) for i in range(5)]
    r = run(check("buyer"), *forged)
    assert (r.verdict, r.reasons, r.verification_count) == (Verdict.GENUINE, (), 1)
    assert r.distinct_checkers == 1 and r.final_clone == ()
    assert r.loyalty.eligible and r.loyalty.points == 10
    assert r.message == "Genuine product. This is the first check of this code."


@pytest.mark.parametrize(
    "changed",
    [
        {"clone_max_witnesses": 6},
        {"clone_min_distance_m": 60_000.0},
        {"session_window": timedelta(minutes=20)},
        {"session_radius_m": 1_500.0},
    ],
)
def test_a_finding_is_tied_to_the_thresholds_that_made_it(changed: dict[str, object]) -> None:
    """Each threshold that decides whether clone reasons are final changes the basis, so a
    finding stored under the old value is read again (scan_api/verify/service.py)."""
    today = RiskThresholds()
    assert clone_basis(RiskThresholds()) == clone_basis(today)
    assert clone_basis(RiskThresholds(**changed)) != clone_basis(today)  # type: ignore[arg-type]


def test_thresholds_that_do_not_decide_a_finding_leave_its_basis() -> None:
    """The high-severity witness count only grades alerts; it cannot take a reason back."""
    assert clone_basis(RiskThresholds(clone_high_witnesses=20)) == clone_basis(RiskThresholds())


def test_the_network_limit_counts_all_ids_and_can_be_switched_off() -> None:
    """One machine making consumer ids up stays under every id's daily limit; its network's
    claims stop it (security review). 0 switches the limit off."""
    below = run(check("c1"), claims=ClaimHistory(network_claims_today=99))
    assert below.loyalty.eligible
    at = ClaimHistory(network_claims_today=100)
    assert run(check("c1"), claims=at).loyalty.reason is LoyaltyReason.NETWORK_DAILY_LIMIT
    off = verify(
        VerificationInput(check("c1"), SignatureCheck.VALID, facts(*chain_a()), claims=at),
        policy=LoyaltyPolicy(max_claims_per_network_per_day=0),
    )
    assert off.loyalty.eligible
