"""Deciding one consumer check, given what its group knows: verdict, loyalty, the group's
running state. Pure: no I/O (`service.verify_group` loads the facts and stores the result).

The group is decided in order, each check seeing the group's checks before it and their
claims, so the answers are exactly those of verifying each check alone, one after another.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import asyncpg

from geo.regions import Region, RegionMap
from risk_engine.consumer import (
    ClaimHistory,
    LoyaltyPolicy,
    LoyaltyReason,
    Reason,
    Verdict,
    VerificationInput,
    clone_basis,
    verify,
)
from risk_engine.consumer import VerificationResult as ConsumerResult
from risk_engine.models import Checkpoint, ScanFact, SignatureCheck
from risk_engine.thresholds import RiskThresholds
from scan_api.verify.models import NOT_AN_ITEM, LoadedCheck, VerifyRequest
from scan_api.verify.rows import code_facts_of, earlier_check, fix_of, pin_locked, pin_ok
from traceability.config import Settings
from traceability.db.columns import float4

Check = dict[str, Any]
"""An earlier consumer check of a code (as read back from scan_events)."""

CLAIM_DAY = timedelta(hours=24)
"""The daily claim limit counts claims in the last 24 hours (no midnight reset to game)."""


@dataclass(frozen=True, slots=True)
class VerifyPolicy:
    loyalty: LoyaltyPolicy
    thresholds: RiskThresholds
    max_pin_failures: int
    pin_failure_window: timedelta
    pin_key: bytes  # inner codes are hashed under it (`codegen.inner_codes`)

    @classmethod
    def from_settings(cls, settings: Settings, pin_key: bytes) -> VerifyPolicy:
        return cls(
            loyalty=LoyaltyPolicy(
                points_per_item=settings.loyalty_points_per_item,
                max_claims_per_day=settings.loyalty_max_claims_per_day,
                max_claims_per_network_per_day=settings.loyalty_max_claims_per_network_per_day,
                max_regions=settings.loyalty_max_regions,
                region_window=timedelta(days=settings.loyalty_region_window_days),
            ),
            thresholds=RiskThresholds(),
            max_pin_failures=settings.verify_max_pin_failures,
            pin_failure_window=timedelta(hours=settings.verify_pin_failure_window_h),
            pin_key=pin_key,
        )

    @property
    def clone_basis(self) -> str:
        return clone_basis(self.thresholds)


@dataclass(slots=True)
class GroupState:
    """What a group's checks know, kept up to date as each check is decided in order."""

    earlier: dict[str, list[Check]]  # consumer checks per code, oldest first
    claimed: set[str]  # codes somebody has points for (or a check of this group takes them)
    claims: dict[str, list[tuple[datetime, str | None]]]  # per consumer: (claimed_at, region)
    unread: dict[str, int]  # per code with a stored clone finding: checks not in `earlier`
    clones: dict[str, tuple[Reason, ...]]  # clone findings, stored or made by this group
    network_claims: dict[str, list[datetime]] = dataclasses.field(default_factory=dict)
    """Per network: when its claims were made (or are made by a check of this group)."""

    def clone_rows(self, basis: str) -> list[tuple[str, list[str], int, object, str]]:
        """The clone findings as `repository.insert_checks` stores them, counts brought up to
        date with this group's checks, each with the `basis` it was made under."""
        return [
            (
                code,
                [r.value for r in reasons],
                len(self.earlier[code]) + self.unread.get(code, 0),
                self.earlier[code][0]["event_id"],
                basis,
            )
            for code, reasons in self.clones.items()
            if self.earlier.get(code)
        ]


class Prepared:
    """A check with what is known before the codes' history is read."""

    __slots__ = ("at", "code", "event_id", "here", "req", "signature")

    def __init__(
        self,
        req: VerifyRequest,
        code: str | None,
        signature: SignatureCheck,
        at: datetime,
        event_id: uuid.UUID,
        here: Region | None,
    ) -> None:
        self.req: Final = req
        self.code: Final = code
        self.signature: Final = signature
        self.at: Final = at
        self.event_id: Final = event_id
        self.here: Final = here


def region_key(check: LoadedCheck) -> str | None:
    return check.here.key if check.here else None


def load_check(group: GroupState, one: Prepared, rows: dict[str, asyncpg.Record]) -> LoadedCheck:
    """A check with what the group knows of its code. A check whose signature failed is a
    sighting of a forged copy, not a check of the code it names: it is counted alone."""
    req, of_code = one.req, one.signature is SignatureCheck.VALID
    code = one.code
    row = rows.get(code) if code else None
    earlier = list(group.earlier.get(code, [])) if code and of_code else []
    if earlier:  # named for the group by _name_first_places, or by the check that was first
        first: str | None = earlier[0]["first_place"]
    else:
        first = one.here.label if one.here else None
    return LoadedCheck(
        req,
        one.event_id,
        one.at,
        code,
        row,
        one.signature,
        earlier,
        one.here,
        first,
        group.unread.get(code, 0) if code and of_code else 0,
        group.clones.get(code, ()) if code and of_code else (),
    )


def decide(
    check: LoadedCheck, group: GroupState, policy: VerifyPolicy
) -> tuple[ConsumerResult, int, str | None]:
    """The decision for one check, given the group's checks before it; then it joins them."""
    loyalty = policy.loyalty
    if check.inner_required:  # the inner code proves possession: shelf checks do not matter
        loyalty = dataclasses.replace(loyalty, first_verification_only=False)
    consumer, code = check.req.consumer_id, check.code
    claims = ClaimHistory()
    if consumer and check.is_item and check.signature is SignatureCheck.VALID and code:
        day_since, regions_since = check.now - CLAIM_DAY, check.now - loyalty.region_window
        mine = group.claims.get(consumer, [])
        ours = group.network_claims.get(check.req.network or "", [])
        claims = ClaimHistory(
            code_already_claimed=code in group.claimed,
            consumer_claims_today=sum(1 for at, _ in mine if at >= day_since),
            consumer_regions=frozenset(
                region for at, region in mine if at >= regions_since and region is not None
            ),
            network_claims_today=sum(1 for at in ours if at >= day_since),
        )
    result = verify(_input(check, claims, policy), policy.thresholds, loyalty)
    if code and result.final_clone and not check.known_clone:  # stored with the checks
        group.clones[code] = result.final_clone
    points, loyalty_reason = pay(check, result)
    if points and code and consumer:
        if code in group.claimed:  # the claim would lose on the code's key
            points, loyalty_reason = 0, LoyaltyReason.ALREADY_CLAIMED.value
        else:
            group.claimed.add(code)
            group.claims.setdefault(consumer, []).append((check.now, region_key(check)))
            if check.req.network:
                group.network_claims.setdefault(check.req.network, []).append(check.now)
    if code and check.signature is SignatureCheck.VALID:  # a forged copy's is no check of it
        fix = check.req.location
        earlier = group.earlier.setdefault(code, [])
        earlier.append(
            {
                "event_id": check.event_id,
                "scanned_at": check.now,
                "lat": fix.lat if fix else None,
                "lon": fix.lon if fix else None,
                "accuracy_m": float4(fix.accuracy_m or None) if fix else None,
                "consumer_id": consumer,
                "loyalty_reason": loyalty_reason,
                "first_place": check.first_place,
                "client_net": check.req.network,
            }
        )
        if len(earlier) > 1 and _check_order(earlier[-2]) > _check_order(earlier[-1]):
            earlier.sort(key=_check_order)  # a check dated before one already read
    return result, points, loyalty_reason


def _check_order(check: Check) -> tuple[datetime, str]:
    """Checks in the order the history read gives them (time, then event id)."""
    return check["scanned_at"], str(check["event_id"])


def _input(check: LoadedCheck, claims: ClaimHistory, policy: VerifyPolicy) -> VerificationInput:
    row, req = check.row, check.req
    scan = ScanFact(
        event_id=str(check.event_id),
        code=check.code or "",
        checkpoint=Checkpoint.CONSUMER_VERIFY,
        scanned_at=check.now,
        location=req.location,
        signature=check.signature,
        consumer_id=req.consumer_id,
        network=req.network,
    )
    history = tuple(earlier_check(r, check.code or "") for r in check.earlier)
    first_id = str(check.earlier[0]["event_id"]) if check.earlier else scan.event_id
    pin_right, locked = None, False
    if row is not None and check.inner_required and req.pin is not None:
        since = check.now - policy.pin_failure_window
        locked = pin_locked(check.earlier, policy.max_pin_failures, since)
        pin_right = None if locked else pin_ok(req, row, policy.pin_key)
    return VerificationInput(
        check=scan,
        signature=check.signature,
        facts=code_facts_of(row, history) if row is not None else None,
        expiry=row["expiry"] if row is not None else None,
        region=check.here.key if check.here else None,
        inner_code_required=check.inner_required,
        inner_code_ok=pin_right,
        inner_code_locked=locked,
        claims=claims,
        places={first_id: check.first_place} if check.first_place else {},
        known_clone=check.known_clone,
        unread_checks=check.unread,
        shipped_at=row["shipped_at"] if row is not None else None,
    )


def pay(check: LoadedCheck, result: ConsumerResult) -> tuple[int, str | None]:
    """Points to pay if the code's claim wins (once per code: the claim row decides races)."""
    reason = result.loyalty.reason.value if result.loyalty.reason is not None else None
    if result.verdict is Verdict.GENUINE and not check.is_item:
        return 0, NOT_AN_ITEM
    if not (result.loyalty.eligible and check.code and check.req.consumer_id):
        return 0, reason
    return result.loyalty.points, None


def name_first_places(region_map: RegionMap, earlier: dict[str, list[Check]]) -> None:
    """Where each code was first checked (`first_place` of its first check), named with
    today's territories, looked up for the whole group at once."""
    firsts = [checks[0] for checks in earlier.values() if checks]
    located = [(check, fix) for check in firsts if (fix := fix_of(check)) is not None]
    found = region_map.regions([(fix.lat, fix.lon) for _, fix in located])
    for check in firsts:
        check["first_place"] = None
    for (check, _), region in zip(located, found, strict=True):
        check["first_place"] = region.label


def regions_here(region_map: RegionMap, reqs: Sequence[VerifyRequest]) -> list[Region | None]:
    """Where each check is, looked up for the whole group at once."""
    fixes = [(r.location.lat, r.location.lon) for r in reqs if r.location is not None]
    found = iter(region_map.regions(fixes))
    return [next(found) if r.location is not None else None for r in reqs]
