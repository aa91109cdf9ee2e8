"""Consumer verification: verdict, reason codes, the message, and loyalty eligibility. Pure.

Verdicts (reason codes are machine-readable, in the spirit of the EU medicines-verification
alert codes):

- counterfeit: `malformed_payload`, `unknown_code`, `bad_signature`, `revoked_key`,
  `revoked_batch` — the code was never issued by the brand, or its key/batch is revoked.
- suspicious: `never_commissioned` (a leaked code), `verified_elsewhere` (other consumers
  checked this code far away), `too_many_checks` (more distinct checkers than one item gets).
- genuine: everything else. `expired` is added as information; it does not make a product
  fake.

Checks by the same consumer/device (or one anonymous session) are one checker: a consumer
scanning again at home never turns an item suspicious.

A code with both clone reasons (`verified_elsewhere` and `too_many_checks`) whose first
witness had a location keeps them: witnesses and their fixes only ever come, never go, the
first place (that witness's fix) cannot move, and with five witnesses one fix 50 km from it is
`verified_elsewhere`. So no later check can take a reason back, add one or reorder them. The
caller may store that finding (`VerificationResult.final_clone`) and pass it back as
`known_clone`, with the number of earlier checks it did not read (`unread_checks`), so that a
cloned code's later checks do not regroup thousands of earlier ones; a finding holds under
the thresholds it was made with, which the caller stores beside it (`clone_basis`).
Otherwise every check is read: with one reason the other may still come, and come first; and
a first witness without a location may get one that makes the other places one.

Loyalty: points for the first genuine verification of a commissioned item, once per code,
to an identified consumer (`consumer_id`), after the inner code when the product requires
it; nobody else may have checked the code before (a used cap sold on to a fraud ring earns
nothing). Harvesters stop earning: more than `max_claims_per_day` claims a day, or claims
from more than `max_regions` regions within `region_window`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Final

from risk_engine.evidence import Witness, consumer_checks, witnesses
from risk_engine.models import CodeFacts, CodeStatus, ScanFact, SignatureCheck
from risk_engine.rules.clone import checked_elsewhere
from risk_engine.thresholds import RiskThresholds


class Verdict(enum.StrEnum):
    GENUINE = "genuine"
    SUSPICIOUS = "suspicious"
    COUNTERFEIT = "counterfeit"


class Reason(enum.StrEnum):
    MALFORMED_PAYLOAD = "malformed_payload"
    UNKNOWN_CODE = "unknown_code"
    BAD_SIGNATURE = "bad_signature"
    REVOKED_KEY = "revoked_key"
    REVOKED_BATCH = "revoked_batch"
    NEVER_COMMISSIONED = "never_commissioned"
    VERIFIED_ELSEWHERE = "verified_elsewhere"
    TOO_MANY_CHECKS = "too_many_checks"
    EXPIRED = "expired"


class LoyaltyReason(enum.StrEnum):
    """Why a verification earned no points."""

    NOT_GENUINE = "not_genuine"
    NO_CONSUMER = "no_consumer"
    NOT_SHIPPED = "not_shipped"
    ALREADY_CLAIMED = "already_claimed"
    NOT_FIRST_VERIFICATION = "not_first_verification"
    INNER_CODE_REQUIRED = "inner_code_required"
    INNER_CODE_WRONG = "inner_code_wrong"
    INNER_CODE_LOCKED = "inner_code_locked"
    DAILY_LIMIT = "daily_limit"
    NETWORK_DAILY_LIMIT = "network_daily_limit"
    TOO_MANY_REGIONS = "too_many_regions"


_COUNTERFEIT = {
    SignatureCheck.MALFORMED: Reason.MALFORMED_PAYLOAD,
    SignatureCheck.UNKNOWN_CODE: Reason.UNKNOWN_CODE,
    SignatureCheck.BAD_SIGNATURE: Reason.BAD_SIGNATURE,
    SignatureCheck.REVOKED_KEY: Reason.REVOKED_KEY,
    SignatureCheck.REVOKED_BATCH: Reason.REVOKED_BATCH,
}

_COUNTERFEIT_TEXT = {
    Reason.MALFORMED_PAYLOAD: "This is not a code of the brand.",
    Reason.UNKNOWN_CODE: "This code was never issued by the brand.",
    Reason.BAD_SIGNATURE: "This code's security signature is wrong: it was altered or forged.",
    Reason.REVOKED_KEY: "This code was signed with a withdrawn key.",
    Reason.REVOKED_BATCH: "This code belongs to a withdrawn batch.",
}


@dataclass(frozen=True, slots=True)
class LoyaltyPolicy:
    points_per_item: int = 10
    """Points for one eligible verification."""
    max_claims_per_day: int = 20
    """A household does not open 20 items a day; harvested code lists do."""
    max_claims_per_network_per_day: int = 100
    """Claims from one network (the client's address; IPv6 by /64) a day, over all its
    consumer ids: one machine making ids up stops earning. 0: no such limit."""
    max_regions: int = 3
    """Distinct regions one consumer may claim from within `region_window` (home, work, trip)."""
    region_window: timedelta = timedelta(days=30)
    first_verification_only: bool = True
    """Only a code nobody else checked before pays (blocks used caps sold on)."""


class ClaimHistory:
    """What the service knows about claims, for the loyalty decision."""

    __slots__ = (
        "code_already_claimed",
        "consumer_claims_today",
        "consumer_regions",
        "network_claims_today",
    )

    def __init__(
        self,
        code_already_claimed: bool = False,
        consumer_claims_today: int = 0,
        consumer_regions: frozenset[str] = frozenset(),
        network_claims_today: int = 0,
    ) -> None:
        #: points were already paid for this code, to anyone
        self.code_already_claimed: Final = code_already_claimed
        #: claims by this consumer on the check's (local) date
        self.consumer_claims_today: Final = consumer_claims_today
        #: regions claimed from in the region window
        self.consumer_regions: Final = consumer_regions
        #: claims from the check's network in the last 24 hours
        self.network_claims_today: Final = network_claims_today


@dataclass(frozen=True, slots=True)
class LoyaltyDecision:
    """A value, compared as one (one per check: its frozen `__init__` costs little)."""

    eligible: bool
    points: int
    reason: LoyaltyReason | None  # None when eligible


class VerificationResult:
    __slots__ = (
        "distinct_checkers",
        "final_clone",
        "first_verified_at",
        "first_verified_place",
        "loyalty",
        "message",
        "reasons",
        "verdict",
        "verification_count",
    )

    def __init__(
        self,
        verdict: Verdict,
        reasons: tuple[Reason, ...],
        verification_count: int,
        distinct_checkers: int | None,
        first_verified_at: datetime,
        first_verified_place: str | None,
        message: str,
        loyalty: LoyaltyDecision,
        final_clone: tuple[Reason, ...] = (),
    ) -> None:
        self.verdict: Final = verdict
        self.reasons: Final = reasons
        self.verification_count: Final = verification_count  # every check, this one included
        # Consumers/devices/sessions, this one included; None when the verdict came from a
        # stored clone finding (the checks were not grouped again).
        self.distinct_checkers: Final = distinct_checkers
        self.first_verified_at: Final = first_verified_at
        self.first_verified_place: Final = first_verified_place
        self.message: Final = message
        self.loyalty: Final = loyalty
        # The clone reasons, when no later check can change them (see the module's
        # docstring): what a caller may store and pass as `known_clone`.
        self.final_clone: Final = final_clone


IN_TRADE_ALWAYS = datetime.min.replace(tzinfo=UTC)
"""`shipped_at` for a caller that does not track custody: in trade all along."""

NO_CLAIMS = ClaimHistory()


_NO_PLACES: Mapping[str, str] = MappingProxyType({})


class VerificationInput:
    __slots__ = (
        "check",
        "claims",
        "expiry",
        "facts",
        "inner_code_locked",
        "inner_code_ok",
        "inner_code_required",
        "known_clone",
        "places",
        "region",
        "shipped_at",
        "signature",
        "unread_checks",
    )

    def __init__(
        self,
        check: ScanFact,
        signature: SignatureCheck,
        facts: CodeFacts | None,
        expiry: date | None = None,
        region: str | None = None,
        inner_code_required: bool = False,
        inner_code_ok: bool | None = None,
        inner_code_locked: bool = False,
        claims: ClaimHistory = NO_CLAIMS,
        places: Mapping[str, str] = _NO_PLACES,
        known_clone: tuple[Reason, ...] = (),
        unread_checks: int = 0,
        shipped_at: datetime | None = IN_TRADE_ALWAYS,
    ) -> None:
        self.check: Final = check  # this consumer_verify event
        self.signature: Final = signature
        self.facts: Final = facts  # None: unknown code
        self.expiry: Final = expiry
        self.region: Final = region  # where this check is (territory id or area cell)
        self.inner_code_required: Final = inner_code_required
        self.inner_code_ok: Final = inner_code_ok  # None: no inner code sent
        # Too many wrong inner codes lately: none is checked.
        self.inner_code_locked: Final = inner_code_locked
        self.claims: Final = claims
        self.places: Final = places  # event id -> place name
        self.known_clone: Final = known_clone  # a stored clone finding of an earlier check
        self.unread_checks: Final = unread_checks  # earlier checks not in `facts.history`
        # When it (or a case holding it) left the plant; None: not yet.
        self.shipped_at: Final = shipped_at


CLONE_FINDING = (Reason.VERIFIED_ELSEWHERE, Reason.TOO_MANY_CHECKS)
"""The clone reasons, in verdict order."""

FINDING_RULES = 3
"""Increase it when the witness grouping or the clone reasons change meaning: findings made
under the old rules are then read again instead of trusted (`clone_basis`). 2: a forged
copy's checks are no longer witnesses of the genuine code (`evidence.consumer_checks`).
3: checks from one network are one witness (`evidence.witness_key`)."""


def clone_basis(t: RiskThresholds) -> str:
    """What makes a clone finding final, as stored beside it.

    A finding holds only under the thresholds it was made with: a higher witness limit could
    take `too_many_checks` back, a longer distance `verified_elsewhere`, other session bounds
    could merge witnesses. A caller trusts a stored finding only when its basis is this one.
    """
    return (
        f"rules={FINDING_RULES};witnesses={t.clone_max_witnesses};"
        f"distance_m={t.clone_min_distance_m:g};"
        f"session_s={t.session_window.total_seconds():g};session_m={t.session_radius_m:g}"
    )


def _final_clone(
    reasons: tuple[Reason, ...], found: list[Witness] | None, known: tuple[Reason, ...]
) -> tuple[Reason, ...]:
    """The clone reasons if they are final: all of them, the first witness located."""
    if found is None:
        return known
    clone = tuple(r for r in reasons if r in CLONE_FINDING)
    return clone if clone == CLONE_FINDING and found and found[0].fix is not None else ()


def verify(
    request: VerificationInput,
    thresholds: RiskThresholds | None = None,
    policy: LoyaltyPolicy | None = None,
) -> VerificationResult:
    t = thresholds or RiskThresholds()
    p = policy or LoyaltyPolicy()
    check, facts = request.check, request.facts
    # A check whose signature failed is not a check of the code it names: it counts alone.
    of_code = facts is not None and request.signature is SignatureCheck.VALID
    prior = (
        [e for e in consumer_checks(facts.history) if e.event_id != check.event_id]
        if facts is not None and of_code
        else []
    )
    checks = sorted([*prior, check], key=lambda e: (e.scanned_at, e.event_id))
    known_clone = request.known_clone if of_code else ()
    found = None if known_clone else witnesses(checks, t)
    first = checks[0]
    verdict, reasons = _judge(request, found, t)
    if request.expiry is not None and check.scanned_at.date() > request.expiry:
        reasons = (*reasons, Reason.EXPIRED)
    place = request.places.get(first.event_id)
    loyalty = _loyalty(request, verdict, prior, p)
    count = len(checks) + (request.unread_checks if of_code else 0)
    message = _message(verdict, reasons, count, first.scanned_at, place, request.expiry)
    return VerificationResult(
        verdict=verdict,
        reasons=reasons,
        verification_count=count,
        distinct_checkers=None if found is None else len(found),
        first_verified_at=first.scanned_at,
        first_verified_place=place,
        message=message,
        loyalty=loyalty,
        final_clone=_final_clone(reasons, found, known_clone),
    )


def _judge(
    request: VerificationInput, found: list[Witness] | None, t: RiskThresholds
) -> tuple[Verdict, tuple[Reason, ...]]:
    """`found` is None when the clone reasons are `request.known_clone`."""
    if request.signature is not SignatureCheck.VALID:
        return Verdict.COUNTERFEIT, (_COUNTERFEIT[request.signature],)
    facts = request.facts
    if facts is None:
        return Verdict.COUNTERFEIT, (Reason.UNKNOWN_CODE,)
    reasons: list[Reason] = []
    if facts.status is CodeStatus.ISSUED:
        reasons.append(Reason.NEVER_COMMISSIONED)
    if found is None:
        reasons.extend(request.known_clone)
    else:
        if checked_elsewhere(found, t):
            reasons.append(Reason.VERIFIED_ELSEWHERE)
        if len(found) >= t.clone_max_witnesses:
            reasons.append(Reason.TOO_MANY_CHECKS)
    if reasons:
        return Verdict.SUSPICIOUS, tuple(reasons)
    return Verdict.GENUINE, ()


def _loyalty(
    request: VerificationInput, verdict: Verdict, prior: list[ScanFact], p: LoyaltyPolicy
) -> LoyaltyDecision:
    def no(reason: LoyaltyReason) -> LoyaltyDecision:
        return LoyaltyDecision(False, 0, reason)

    consumer = request.check.consumer_id
    claims = request.claims
    if verdict is not Verdict.GENUINE:
        return no(LoyaltyReason.NOT_GENUINE)
    if not consumer:
        return no(LoyaltyReason.NO_CONSUMER)
    if claims.code_already_claimed:  # before `shipped_at`: not looked up for claimed codes
        return no(LoyaltyReason.ALREADY_CLAIMED)
    shipped_at = request.shipped_at
    if shipped_at is None or shipped_at > request.check.scanned_at:
        return no(LoyaltyReason.NOT_SHIPPED)  # labels taken at the line are worth no points
    prior = [e for e in prior if e.scanned_at >= shipped_at]  # QA checks spoil no claim
    if p.first_verification_only and any(e.consumer_id != consumer for e in prior):
        return no(LoyaltyReason.NOT_FIRST_VERIFICATION)
    if request.inner_code_required and request.inner_code_locked:
        return no(LoyaltyReason.INNER_CODE_LOCKED)
    if request.inner_code_required and request.inner_code_ok is None:
        return no(LoyaltyReason.INNER_CODE_REQUIRED)
    if request.inner_code_required and not request.inner_code_ok:
        return no(LoyaltyReason.INNER_CODE_WRONG)
    if claims.consumer_claims_today >= p.max_claims_per_day:
        return no(LoyaltyReason.DAILY_LIMIT)
    if 0 < p.max_claims_per_network_per_day <= claims.network_claims_today:
        return no(LoyaltyReason.NETWORK_DAILY_LIMIT)
    regions = claims.consumer_regions | ({request.region} if request.region else set())
    if len(regions) > p.max_regions:
        return no(LoyaltyReason.TOO_MANY_REGIONS)
    return LoyaltyDecision(True, p.points_per_item, None)


def _utc_minute(at: datetime) -> str:
    """The first check's time, said to be UTC: a bare date was the UTC one, a day off in
    Shanghai between midnight and 08:00 (live review). `first_verified_at` carries the
    instant for a client to show in its own time zone."""
    t = at.astimezone(UTC)  # formatted by hand: strftime was a tenth of deciding a check
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d} UTC"


def _message(
    verdict: Verdict,
    reasons: tuple[Reason, ...],
    count: int,
    first_at: datetime,
    place: str | None,
    expiry: date | None,
) -> str:
    where = f" in {place}" if place else ""
    history = (
        "This is the first check of this code."
        if count == 1
        else f"Checked {count} times, first on {_utc_minute(first_at)}{where}."
    )
    expired = ""
    if expiry is not None and Reason.EXPIRED in reasons:
        expired = f" Expired on {expiry.isoformat()}."
    if verdict is Verdict.COUNTERFEIT:
        return f"Counterfeit. {_COUNTERFEIT_TEXT[reasons[0]]} Do not use this product."
    if verdict is Verdict.SUSPICIOUS:
        why = {
            Reason.NEVER_COMMISSIONED: "this code was never applied to a product at the plant",
            Reason.VERIFIED_ELSEWHERE: "this code was also checked by others far from here",
            Reason.TOO_MANY_CHECKS: "this code was checked by more people than one item could be",
        }
        detail = "; ".join(why[r] for r in reasons if r in why)
        return f"Suspicious: {detail}. {history}{expired}"
    return f"Genuine product. {history}{expired}"
