"""Consumer verification: check a payload, record the check, pay loyalty points once.

Runs inside the request's transaction. The verdict, reasons, message and the loyalty
decision come from `risk_engine.consumer.verify`; this module loads what it needs, stores the
`consumer_verify` event (with the answer as its response) and the loyalty claim.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from codegen.keystore import KeyStore
from codegen.payload import MalformedPayload, parse_payload
from codegen.service import know_keys_of, verify_known
from geo.regions import Region
from risk_engine.consumer import (
    ClaimHistory,
    LoyaltyPolicy,
    LoyaltyReason,
    Verdict,
    VerificationInput,
    verify,
)
from risk_engine.consumer import VerificationResult as ConsumerResult
from risk_engine.models import Checkpoint, CodeFacts, CodeStatus, GeoFix, ScanFact, SignatureCheck
from risk_engine.territories import TerritoryCache
from risk_engine.thresholds import RiskThresholds
from scan_api.verify import repository
from scan_api.verify.models import (
    NOT_AN_ITEM,
    loyalty_text,
    pin_matches,
    signature_check,
)
from traceability.config import Settings

CLAIM_DAY = timedelta(hours=24)
"""The daily claim limit counts claims in the last 24 hours (no midnight reset to game)."""


@dataclass(frozen=True, slots=True)
class VerifyPolicy:
    loyalty: LoyaltyPolicy
    thresholds: RiskThresholds
    max_pin_failures: int

    @classmethod
    def from_settings(cls, settings: Settings) -> VerifyPolicy:
        return cls(
            loyalty=LoyaltyPolicy(
                points_per_item=settings.loyalty_points_per_item,
                max_claims_per_day=settings.loyalty_max_claims_per_day,
                max_regions=settings.loyalty_max_regions,
                region_window=timedelta(days=settings.loyalty_region_window_days),
            ),
            thresholds=RiskThresholds(),
            max_pin_failures=settings.verify_max_pin_failures,
        )


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    payload: str
    location: GeoFix | None = None
    consumer_id: str | None = None
    pin: str | None = None


def _code_or_none(payload: str) -> str | None:
    try:
        return parse_payload(payload).code
    except MalformedPayload:
        return None


def _fix(row: asyncpg.Record) -> GeoFix | None:
    if row["lat"] is None or row["lon"] is None:
        return None
    return GeoFix(row["lat"], row["lon"], float(row["accuracy_m"] or 0.0))


def _earlier_check(row: asyncpg.Record, code: str) -> ScanFact:
    return ScanFact(
        event_id=str(row["event_id"]),
        code=code,
        checkpoint=Checkpoint.CONSUMER_VERIFY,
        scanned_at=row["scanned_at"],
        location=_fix(row),
        consumer_id=row["consumer_id"],
    )


def _facts(row: asyncpg.Record, history: tuple[ScanFact, ...]) -> CodeFacts:
    status = CodeStatus.COMMISSIONED if row["commissioned_at"] is not None else CodeStatus.ISSUED
    return CodeFacts(
        code=row["code"],
        gtin=row["gtin"],
        lot=row["lot"],
        status=status,
        batch_id=str(row["batch_id"]),
        history=history,
    )


async def _claims(
    conn: asyncpg.Connection, code: str, consumer_id: str, now: datetime, policy: LoyaltyPolicy
) -> ClaimHistory:
    await repository.lock_consumer(conn, consumer_id)
    row = await repository.claim_history(
        conn, code, consumer_id, now - CLAIM_DAY, now - policy.region_window
    )
    return ClaimHistory(
        code_already_claimed=bool(row["code_claimed"]),
        consumer_claims_today=int(row["claims_today"]),
        consumer_regions=frozenset(row["regions"]),
    )


def _pin_ok(
    req: VerifyRequest, row: asyncpg.Record, earlier: list[asyncpg.Record], max_failures: int
) -> bool | None:
    """None: no pin sent. After `max_failures` wrong pins for the code, no pin is right."""
    if req.pin is None:
        return None
    failures = sum(1 for r in earlier if r["loyalty_reason"] == LoyaltyReason.INNER_CODE_WRONG)
    if failures >= max_failures:
        return False
    return pin_matches(req.pin, row["inner_code_hash"])


@dataclass(frozen=True, slots=True)
class _Check:
    """One consumer check with everything loaded for it."""

    req: VerifyRequest
    event_id: uuid.UUID
    now: datetime
    code: str | None
    row: asyncpg.Record | None
    signature: SignatureCheck
    earlier: list[asyncpg.Record]
    here: Region | None
    first_region: Region | None

    @property
    def is_item(self) -> bool:
        return self.row is not None and self.row["level"] == "item"

    @property
    def inner_required(self) -> bool:
        return bool(self.row is not None and self.row["inner_code_required"])

    @property
    def first_at(self) -> datetime:
        first: datetime = self.earlier[0]["scanned_at"] if self.earlier else self.now
        return first


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
    check = await _load(conn, store, regions, req, now or datetime.now(UTC), event_id)
    loyalty = policy.loyalty
    if check.inner_required:  # the inner code proves possession: shelf checks do not matter
        loyalty = dataclasses.replace(loyalty, first_verification_only=False)
    claims = ClaimHistory()
    if req.consumer_id and check.is_item and check.signature is SignatureCheck.VALID and check.code:
        claims = await _claims(conn, check.code, req.consumer_id, check.now, loyalty)
    result = verify(_input(check, claims, policy), policy.thresholds, loyalty)
    points, loyalty_reason = await _pay(conn, check, result)
    answer = _answer(check, result, points, loyalty_reason)
    fix = req.location
    await repository.insert_event(
        conn,
        check.event_id,
        check.code,
        req.payload,
        check.now,
        (fix.lat, fix.lon, fix.accuracy_m or None) if fix else None,
        result.verdict.value,
        answer["reason"],
        req.consumer_id,
        answer,
    )
    return answer


async def _load(
    conn: asyncpg.Connection,
    store: KeyStore,
    regions: TerritoryCache,
    req: VerifyRequest,
    now: datetime,
    event_id: uuid.UUID | None,
) -> _Check:
    code = _code_or_none(req.payload)
    row = await repository.code_row(conn, code) if code else None  # locks the code's row
    await store.refresh(conn)
    await know_keys_of(conn, store, [row])
    signature = signature_check(verify_known(store, req.payload, row))
    earlier = await repository.consumer_checks(conn, code) if code else []
    first_fix = _fix(earlier[0]) if earlier else req.location
    here = first = None
    if req.location is not None or first_fix is not None:
        region_map = await regions.regions(conn)
        if req.location is not None:
            here = region_map.region(req.location.lat, req.location.lon)
        if first_fix is not None:
            first = region_map.region(first_fix.lat, first_fix.lon)
    return _Check(
        req, event_id or uuid.uuid4(), now, code, row, signature, list(earlier), here, first
    )


def _input(check: _Check, claims: ClaimHistory, policy: VerifyPolicy) -> VerificationInput:
    row, req = check.row, check.req
    scan = ScanFact(
        event_id=str(check.event_id),
        code=check.code or "",
        checkpoint=Checkpoint.CONSUMER_VERIFY,
        scanned_at=check.now,
        location=req.location,
        signature=check.signature,
        consumer_id=req.consumer_id,
    )
    history = tuple(_earlier_check(r, check.code or "") for r in check.earlier)
    first_id = str(check.earlier[0]["event_id"]) if check.earlier else scan.event_id
    pin_ok = None
    if row is not None and check.inner_required:
        pin_ok = _pin_ok(req, row, check.earlier, policy.max_pin_failures)
    return VerificationInput(
        check=scan,
        signature=check.signature,
        facts=_facts(row, history) if row is not None else None,
        expiry=row["expiry"] if row is not None else None,
        region=check.here.key if check.here else None,
        inner_code_required=check.inner_required,
        inner_code_ok=pin_ok,
        claims=claims,
        places={first_id: check.first_region.label} if check.first_region else {},
    )


async def _pay(
    conn: asyncpg.Connection, check: _Check, result: ConsumerResult
) -> tuple[int, str | None]:
    """Points actually paid (once per code: the claim row decides races), and why not."""
    reason = result.loyalty.reason.value if result.loyalty.reason is not None else None
    if result.verdict is Verdict.GENUINE and not check.is_item:
        return 0, NOT_AN_ITEM
    consumer = check.req.consumer_id
    if not (result.loyalty.eligible and check.code and consumer):
        return 0, reason
    region = check.here.key if check.here else None
    won = await repository.insert_claim(
        conn, check.code, consumer, check.event_id, result.loyalty.points, region, check.now
    )
    if not won:
        return 0, LoyaltyReason.ALREADY_CLAIMED.value
    return result.loyalty.points, None


def _answer(
    check: _Check, result: ConsumerResult, points: int, loyalty_reason: str | None
) -> dict[str, Any]:
    message = result.message
    if result.verdict is Verdict.GENUINE:
        extra = loyalty_text(points, loyalty_reason)
        message = f"{message} {extra}" if extra else message
    row = check.row
    show_product = row is not None and result.verdict is not Verdict.COUNTERFEIT
    first_region = check.first_region
    return {
        "verdict": result.verdict.value,
        "reason": result.reasons[0].value if result.reasons else None,
        "product": _product(row) if row is not None and show_product else None,
        "verification_count": len(check.earlier) + 1,
        "first_verified_at": check.first_at.isoformat() if check.code else None,
        "first_verified_region": first_region.label if first_region and check.code else None,
        "points_awarded": points,
        "loyalty_reason": loyalty_reason,
        "message": message,
    }


def _product(row: asyncpg.Record) -> dict[str, Any]:
    expiry = row["expiry"]
    return {
        "gtin": row["gtin"],
        "name": row["product_name"],
        "lot": row["lot"],
        "expiry": expiry.isoformat() if expiry is not None else None,
    }
