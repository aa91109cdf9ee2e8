"""Rows and texts of consumer verification: the signature outcome as the rules see it,
earlier checks as facts, what is stored and what is answered. Pure; compiled with mypyc
(traceability/compiled.py), the classes stay in `models.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from codegen.inner_codes import pin_matches
from codegen.verify import Reason as CodeReason
from codegen.verify import VerificationResult
from risk_engine.consumer import LoyaltyReason, Verdict
from risk_engine.consumer import VerificationResult as ConsumerResult
from risk_engine.models import (
    Checkpoint,
    CodeFacts,
    CodeStatus,
    GeoFix,
    ScanFact,
    SignatureCheck,
)
from scan_api.verify.models import NOT_AN_ITEM, LoadedCheck, VerifyRequest
from traceability.db.columns import float4

_SIGNATURE = {
    CodeReason.MALFORMED: SignatureCheck.MALFORMED,
    CodeReason.UNKNOWN_KID: SignatureCheck.BAD_SIGNATURE,  # a key the brand never had: forged
    CodeReason.BAD_SIGNATURE: SignatureCheck.BAD_SIGNATURE,
    CodeReason.REVOKED_KEY: SignatureCheck.REVOKED_KEY,
    CodeReason.UNKNOWN_CODE: SignatureCheck.UNKNOWN_CODE,
    CodeReason.REVOKED_BATCH: SignatureCheck.REVOKED_BATCH,
}


def signature_check(result: VerificationResult) -> SignatureCheck:
    """The codegen registry check as the risk engine's `SignatureCheck`."""
    if result.ok:
        return SignatureCheck.VALID
    return _SIGNATURE.get(result.reason or CodeReason.MALFORMED, SignatureCheck.MALFORMED)


# -- texts ------------------------------------------------------------------------------------

_LOYALTY_TEXT: dict[str, str] = {
    LoyaltyReason.NO_CONSUMER: "Sign in to the app to collect points.",
    LoyaltyReason.NOT_SHIPPED: (
        "No points yet: this item has not left the factory. Points are paid once it is on sale."
    ),
    LoyaltyReason.ALREADY_CLAIMED: "Points for this code were already collected.",
    LoyaltyReason.NOT_FIRST_VERIFICATION: "Points are paid only for the first check of a code.",
    LoyaltyReason.INNER_CODE_REQUIRED: (
        "No points: enter the code printed inside the package to collect points."
    ),
    LoyaltyReason.INNER_CODE_WRONG: "No points: the inner code is not correct.",
    LoyaltyReason.INNER_CODE_LOCKED: (
        "No points yet: too many wrong inner codes were entered for this code. Try again tomorrow."
    ),
    LoyaltyReason.DAILY_LIMIT: "No points: the daily limit of point claims is reached.",
    LoyaltyReason.NETWORK_DAILY_LIMIT: (
        "No points: the daily limit of point claims from this network is reached."
    ),
    LoyaltyReason.TOO_MANY_REGIONS: "No points: claims come from too many regions.",
    NOT_AN_ITEM: "Points are paid for item codes only.",
}


def loyalty_text(points: int, reason: str | None) -> str:
    """The sentence about points appended to a genuine verdict's message."""
    if points > 0:
        return f"You earned {points} points."
    return _LOYALTY_TEXT.get(reason or "", "")


def risk_row(event: tuple[Any, ...]) -> dict[str, Any]:
    """A stored consumer check (the insert's tuple) as the risk engine reads scan_events rows,
    so a group is judged without reading back what it has just written."""
    event_id, code, _, at, lat, lon, accuracy_m, verdict, reason, consumer_id, _, net = event
    return {
        "event_id": event_id,
        "code": code,
        "checkpoint": "consumer_verify",
        "party_id": None,
        "to_party_id": None,
        "scanned_at": at,
        "recorded_at": at,
        "lat": lat,
        "lon": lon,
        "accuracy_m": float4(accuracy_m),
        "verdict": verdict,
        "reason": reason,
        "unpack": False,
        "consumer_id": consumer_id,
        "client_net": net,
    }


def fix_of(row: Any) -> GeoFix | None:
    """Where an earlier check was made (a scan_events row), if it had a fix."""
    if row["lat"] is None or row["lon"] is None:
        return None
    return GeoFix(row["lat"], row["lon"], float(row["accuracy_m"] or 0.0))


def earlier_check(row: Any, code: str) -> ScanFact:
    """An earlier consumer check of `code` as the rules see it."""
    return ScanFact(
        event_id=str(row["event_id"]),
        code=code,
        checkpoint=Checkpoint.CONSUMER_VERIFY,
        scanned_at=row["scanned_at"],
        location=fix_of(row),
        consumer_id=row["consumer_id"],
        network=row["client_net"],
    )


def code_facts_of(row: Any, history: tuple[ScanFact, ...]) -> CodeFacts:
    """The code's registry row and its earlier checks as the consumer decision sees them."""
    status = CodeStatus.COMMISSIONED if row["commissioned_at"] is not None else CodeStatus.ISSUED
    return CodeFacts(
        code=row["code"],
        gtin=row["gtin"],
        lot=row["lot"],
        status=status,
        batch_id=str(row["batch_id"]),
        history=history,
    )


def early_subject(event_id: uuid.UUID, code: str | None, at: datetime) -> dict[str, Any]:
    """A check as the risk engine's reads need it before it is decided."""
    return {
        "event_id": event_id,
        "code": code,
        "checkpoint": Checkpoint.CONSUMER_VERIFY.value,
        "verdict": None,
        "scanned_at": at,
    }


def check_row(
    check: LoadedCheck, result: ConsumerResult, answer: dict[str, Any]
) -> tuple[object, ...]:
    fix = check.req.location
    return (
        check.event_id,
        check.code,
        check.req.payload,
        check.now,
        fix.lat if fix else None,
        fix.lon if fix else None,
        (fix.accuracy_m or None) if fix else None,
        result.verdict.value,
        answer["reason"],
        check.req.consumer_id,
        answer,
        check.req.network,
    )


# -- a check's inner code and its answer -----------------------------------------------------


def pin_locked(earlier: Sequence[dict[str, Any]], max_failures: int, since: datetime) -> bool:
    """After `max_failures` wrong pins for the code since `since`, no pin is checked:
    guessing is bounded per code, and a lock that anyone who can read the outer code could
    set does not keep the buyer out for good. Pins sent while it is locked are not wrong
    pins (none was checked), so retrying does not make it last longer."""
    failures = sum(
        1
        for r in earlier
        if r["loyalty_reason"] == LoyaltyReason.INNER_CODE_WRONG and r["scanned_at"] >= since
    )
    return failures >= max_failures


def pin_ok(req: VerifyRequest, row: asyncpg.Record, key: bytes) -> bool | None:
    """None: no pin sent. `key`: the inner-code key (`codegen.inner_codes.pin_key`)."""
    if req.pin is None:
        return None
    return pin_matches(req.pin, row["inner_code_hash"], row["inner_code_keyed"], key)


def answer_of(
    check: LoadedCheck, result: ConsumerResult, points: int, loyalty_reason: str | None
) -> dict[str, Any]:
    message = result.message
    if result.verdict is Verdict.GENUINE:
        extra = loyalty_text(points, loyalty_reason)
        message = f"{message} {extra}" if extra else message
    row = check.row
    show_product = row is not None and result.verdict is not Verdict.COUNTERFEIT
    return {
        "verdict": result.verdict.value,
        "reason": result.reasons[0].value if result.reasons else None,
        "product": product_of(row) if row is not None and show_product else None,
        "verification_count": check.verification_count,
        "first_verified_at": check.first_at.isoformat() if check.code else None,
        "first_verified_region": check.first_place if check.code else None,
        "points_awarded": points,
        "loyalty_reason": loyalty_reason,
        "message": message,
    }


def product_of(row: asyncpg.Record) -> dict[str, Any]:
    expiry = row["expiry"]
    return {
        "gtin": row["gtin"],
        "name": row["product_name"],
        "lot": row["lot"],
        "expiry": expiry.isoformat() if expiry is not None else None,
    }
