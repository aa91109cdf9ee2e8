"""Consumer verification: check a payload, record the check, pay loyalty points once.

Runs inside the request's transaction. The verdict, reasons, message and the loyalty
decision come from `risk_engine.consumer.verify`; this module loads what it needs, stores the
`consumer_verify` event (with the answer as its response) and the loyalty claim.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from codegen.keystore import KeyStore
from codegen.payload import code_or_none
from codegen.service import know_keys_of, verify_known
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
from risk_engine.service import Reads, RiskEngine, conclude_round, judge_during, read_round
from risk_engine.territories import TerritoryCache
from risk_engine.thresholds import RiskThresholds
from scan_api.verify import repository
from scan_api.verify.models import (
    NOT_AN_ITEM,
    LoadedCheck,
    VerifiedGroup,
    VerifyRequest,
    answer_of,
    check_row,
    code_facts_of,
    earlier_check,
    early_subject,
    fix_of,
    pin_locked,
    pin_ok,
    risk_row,
    signature_check,
)
from traceability.config import Settings
from traceability.db.columns import float4
from traceability.db.meanwhile import settled

log = logging.getLogger(__name__)

Check = dict[str, Any]
"""An earlier consumer check of a code (as read back from scan_events)."""

YIELD_EVERY = 4
"""Checks decided between two turns of the event loop (see `_decide_all`)."""

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


async def verify_code(
    conn: asyncpg.Connection,
    store: KeyStore,
    regions: TerritoryCache,
    policy: VerifyPolicy,
    req: VerifyRequest,
    now: datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Verify `req.payload` for an anonymous consumer; returns the stored answer."""
    group = await verify_group(conn, store, regions, policy, [(req, event_id)], now)
    await store_group(conn, group, None)
    return group.answers[0]


@dataclass(slots=True)
class _Group:
    """What a group's checks know, kept up to date as each check is decided in order."""

    earlier: dict[str, list[Check]]  # consumer checks per code, oldest first
    claimed: set[str]  # codes somebody has points for (or a check of this group takes them)
    claims: dict[str, list[tuple[datetime, str | None]]]  # per consumer: (claimed_at, region)
    unread: dict[str, int]  # per code with a stored clone finding: checks not in `earlier`
    clones: dict[str, tuple[Reason, ...]]  # clone findings, stored or made by this group

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


async def verify_group(
    conn: asyncpg.Connection,
    store: KeyStore,
    regions: TerritoryCache,
    policy: VerifyPolicy,
    jobs: Sequence[tuple[VerifyRequest, uuid.UUID | None]],
    now: datetime | None = None,
    risk: RiskEngine | None = None,
) -> VerifiedGroup:
    """Verify a group of checks in one go; the answers (as stored) are exactly those of
    verifying each in order: a check sees the group's checks before it, and their claims.
    Nothing is written here: `store_group` stores the checks and their claims.

    Reads go out while the CPU work that does not need them runs: the codes' history while
    signatures are checked, then the risk engine's facts (given `risk`) while checks are
    decided.
    """
    start = now or datetime.now(UTC)
    # Distinct, increasing times keep the group's order when the checks are read back.
    times = [start + timedelta(microseconds=i) for i in range(len(jobs))]
    event_ids = [event_id or uuid.uuid4() for _, event_id in jobs]
    codes = [code_or_none(req.payload) for req, _ in jobs]
    wanted = sorted({code for code in codes if code})
    consumers = sorted({req.consumer_id for req, _ in jobs if req.consumer_id})
    rows = await repository.lock_group(conn, wanted, consumers)
    await store.refresh(conn)
    await know_keys_of(conn, store, rows.values())
    region_map = await regions.regions(conn)  # before any read is left in flight
    since = start - max(CLAIM_DAY, policy.loyalty.region_window)
    early = [early_subject(e, c, t) for e, c, t in zip(event_ids, codes, times, strict=True)]
    basis = policy.clone_basis
    marked = {
        code: row
        for code, row in rows.items()
        if row["clone_reasons"] and row["clone_basis"] == basis  # else: not trusted, read all
    }
    history_read = asyncio.ensure_future(_history(conn, wanted, marked, consumers, since))
    risk_read = asyncio.ensure_future(_risk_reads(history_read, conn, risk, early, rows))
    async with settled(history_read, risk_read):
        await asyncio.sleep(0)  # the history read reaches the wire before the CPU work starts
        signatures = [
            signature_check(verify_known(store, req.payload, rows.get(code) if code else None))
            for (req, _), code in zip(jobs, codes, strict=True)
        ]
        heres = _regions_here(region_map, [req for req, _ in jobs])
        history, cloned = await history_read
        earlier = {code: [dict(r) for r in history.checks.get(code, [])] for code in wanted}
        group = _Group(
            earlier,
            history.claimed,
            history.claims,
            {code: row["clone_checks"] - len(earlier[code]) for code, row in cloned.items()},
            {code: tuple(map(Reason, row["clone_reasons"])) for code, row in cloned.items()},
        )
        _name_first_places(region_map, group.earlier)
        prepared = [
            _Prepared(req, code, sig, at, event_id, here)
            for (req, _), code, sig, at, event_id, here in zip(
                jobs, codes, signatures, times, event_ids, heres, strict=True
            )
        ]
        decided = await _decide_all(prepared, rows, group, policy)
        reads = await risk_read
    claims = [
        (c.code, c.req.consumer_id, c.event_id, points, _region(c), c.now)
        for c, _, points, _ in decided
        if points and c.code and c.req.consumer_id
    ]
    answers = [
        answer_of(check, result, points, reason) for check, result, points, reason in decided
    ]
    pairs = zip(decided, answers, strict=True)
    events = [check_row(c, r, a) for (c, r, _, _), a in pairs]
    risk_events = [risk_row(e) for e in events]
    clones = group.clone_rows(basis)
    return VerifiedGroup(answers, risk_events, rows, events, claims, clones, reads)


async def _history(
    conn: asyncpg.Connection,
    wanted: Sequence[str],
    marked: dict[str, asyncpg.Record],
    consumers: Sequence[str],
    since: datetime,
) -> tuple[repository.History, dict[str, asyncpg.Record]]:
    """The group's history, and the codes whose stored clone finding answers for them.

    A code `marked` with a finding (made under today's `clone_basis`) is read as its first
    check only. Should that check be missing (nothing deletes checks today), the finding is
    not trusted: the code is read in full, so no answer names a wrong first check.
    """
    history = await repository.history(
        conn,
        [code for code in wanted if code not in marked],
        consumers,
        since,
        [row["clone_first_event"] for row in marked.values()],
    )
    lost = sorted(code for code in marked if code not in history.checks)
    if not lost:
        return history, marked
    log.warning("clone findings without their first check, read in full: %s", lost)
    full = await repository.history(conn, lost, [], since)
    history.checks.update(full.checks)
    history.claimed.update(full.claimed)
    return history, {code: row for code, row in marked.items() if code not in lost}


async def _risk_reads(
    after: Awaitable[object],
    conn: asyncpg.Connection,
    risk: RiskEngine | None,
    early: Sequence[dict[str, Any]],
    rows: dict[str, asyncpg.Record],
) -> Reads | None:
    """The risk engine's reads, sent as soon as `after` (on the same connection) is done."""
    await after
    if risk is None or not risk.enabled:
        return None
    return await read_round(conn, risk, early, rows)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A check with what is known before the codes' history is read."""

    req: VerifyRequest
    code: str | None
    signature: SignatureCheck
    at: datetime
    event_id: uuid.UUID
    here: Region | None


def _name_first_places(region_map: RegionMap, earlier: dict[str, list[Check]]) -> None:
    """Where each code was first checked (`first_place` of its first check), named with
    today's territories, looked up for the whole group at once."""
    firsts = [checks[0] for checks in earlier.values() if checks]
    located = [(check, fix) for check in firsts if (fix := fix_of(check)) is not None]
    found = region_map.regions([(fix.lat, fix.lon) for _, fix in located])
    for check in firsts:
        check["first_place"] = None
    for (check, _), region in zip(located, found, strict=True):
        check["first_place"] = region.label


def _regions_here(region_map: RegionMap, reqs: Sequence[VerifyRequest]) -> list[Region | None]:
    """Where each check is, looked up for the whole group at once."""
    fixes = [(r.location.lat, r.location.lon) for r in reqs if r.location is not None]
    found = iter(region_map.regions(fixes))
    return [next(found) if r.location is not None else None for r in reqs]


async def _decide_all(
    prepared: Sequence[_Prepared],
    rows: dict[str, asyncpg.Record],
    group: _Group,
    policy: VerifyPolicy,
) -> list[tuple[LoadedCheck, ConsumerResult, int, str | None]]:
    """Each check in order. Every few checks the loop gets a turn: a read in flight on the
    group's connection sends its next statement instead of waiting for the whole group."""
    decided = []
    for i, one in enumerate(prepared):
        if i and not i % YIELD_EVERY:
            await asyncio.sleep(0)
        check = _load(group, one, rows)
        decided.append((check, *_decide(check, group, policy)))
    return decided


async def store_group(
    conn: asyncpg.Connection, group: VerifiedGroup, risk: RiskEngine | None
) -> None:
    """Store the group's checks and claims; the risk engine (clone and consumer-cluster alerts,
    never shown to consumers) judges them while the insert runs, in the same transaction."""

    def write() -> Awaitable[None]:
        return repository.insert_checks(conn, group.unsaved, group.claims, group.clones)

    if risk is None or not risk.enabled:
        await write()
        return
    _, round_, drafts = await judge_during(
        conn, risk, group.events, group.registry, write, reads=group.reads
    )
    if round_ is not None:
        await conclude_round(conn, risk, round_, drafts)


def _region(check: LoadedCheck) -> str | None:
    return check.here.key if check.here else None


def _load(group: _Group, one: _Prepared, rows: dict[str, asyncpg.Record]) -> LoadedCheck:
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


def _decide(
    check: LoadedCheck, group: _Group, policy: VerifyPolicy
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
        claims = ClaimHistory(
            code_already_claimed=code in group.claimed,
            consumer_claims_today=sum(1 for at, _ in mine if at >= day_since),
            consumer_regions=frozenset(
                region for at, region in mine if at >= regions_since and region is not None
            ),
        )
    result = verify(_input(check, claims, policy), policy.thresholds, loyalty)
    if code and result.final_clone and not check.known_clone:  # stored with the checks
        group.clones[code] = result.final_clone
    points, loyalty_reason = _pay(check, result)
    if points and code and consumer:
        if code in group.claimed:  # the claim would lose on the code's key
            points, loyalty_reason = 0, LoyaltyReason.ALREADY_CLAIMED.value
        else:
            group.claimed.add(code)
            group.claims.setdefault(consumer, []).append((check.now, _region(check)))
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
        earlier.sort(key=lambda r: (r["scanned_at"], str(r["event_id"])))
    return result, points, loyalty_reason


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


def _pay(check: LoadedCheck, result: ConsumerResult) -> tuple[int, str | None]:
    """Points to pay if the code's claim wins (once per code: the claim row decides races)."""
    reason = result.loyalty.reason.value if result.loyalty.reason is not None else None
    if result.verdict is Verdict.GENUINE and not check.is_item:
        return 0, NOT_AN_ITEM
    if not (result.loyalty.eligible and check.code and check.req.consumer_id):
        return 0, reason
    return result.loyalty.points, None
