"""Pure rules of a scan: who may scan what, when a scan is refused, and its verdict."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from codegen.payload import code_or_none
from codegen.verify import VerificationResult
from scan_api.scans.schemas import SCANNER_WHITESPACE, ScanIn
from traceability.auth.models import Principal
from traceability.db.columns import float4
from traceability.errors import Conflict, DomainError, Forbidden, InvalidInput
from traceability.events import SHIPPING, UNPACKING, Checkpoint, allowed_checkpoints
from traceability.frozen import fast_init

MAX_CLOCK_SKEW = timedelta(minutes=10)
# What a container may hold: cases hold items; pallets hold items or cases.
MAY_CONTAIN = {"case": frozenset({"item"}), "pallet": frozenset({"item", "case"})}

Status = Literal["created", "duplicate", "rejected"]


@fast_init
@dataclass(frozen=True, slots=True)
class ScanRequest:
    scan: ScanIn
    principal: Principal


@dataclass(slots=True)
class Outcome:
    """What happened to one scan: its answer, or the error that refused it."""

    event_id: uuid.UUID | None
    status: Status
    response: dict[str, Any] = field(default_factory=dict)
    error: DomainError | None = None


def _field_error(field_name: str, msg: str) -> InvalidInput:
    return InvalidInput(f"{field_name}: {msg}", errors=[{"loc": ["body", field_name], "msg": msg}])


def static_problem(request: ScanRequest, now: datetime) -> DomainError | None:
    """Refusals that need no database: permission, clock, and the checkpoint's shape."""
    scan, principal = request.scan, request.principal
    if scan.checkpoint is Checkpoint.CONSUMER_VERIFY:
        return Forbidden("consumer_verify is recorded through POST /v1/verify only")
    if scan.checkpoint not in allowed_checkpoints(principal):
        kind = principal.party_kind or "no party"
        return Forbidden(
            f"a {principal.role.value} token of a {kind} may not scan at {scan.checkpoint.value}"
        )
    if scan.scanned_at > now + MAX_CLOCK_SKEW:
        return _field_error("scanned_at", "is more than 10 minutes in the future")
    if scan.checkpoint in SHIPPING and scan.to_party_id is None:
        return _field_error("to_party_id", f"is required for {scan.checkpoint.value}")
    if scan.checkpoint not in SHIPPING and scan.to_party_id is not None:
        return _field_error("to_party_id", "is only allowed on ship and dealer_ship")
    if scan.children is not None and scan.checkpoint is not Checkpoint.PACK:
        return _field_error("children", "are only allowed on pack")
    if scan.unpack and scan.checkpoint not in UNPACKING:
        return _field_error("unpack", "is only allowed on pack, dealer_receive, retail_receive")
    if scan.unpack and scan.children:
        return _field_error("children", "cannot be packed and unpacked in one scan")
    if scan.to_party_id is not None and scan.to_party_id == principal.party_id:
        return _field_error("to_party_id", "is the scanning party itself")
    return None


def dated_before_issue(scanned_at: datetime, row: Any) -> bool:
    """A scan dated before its code existed: its date is not evidence (a back-dated
    commission must not explain a leak away). Stored all the same: late uploads and offline
    devices are normal, and the scan itself did happen. Clocks run a little off: the margin
    is the one allowed for scans dated in the future."""
    return bool(scanned_at < row["issued_at"] - MAX_CLOCK_SKEW)


SUSPENSION_OFFLINE_WINDOW = timedelta(hours=72)
"""How long after a suspension shipments scanned before it are still taken: the time a
handheld may plausibly have been offline. Past it, a shipment dated before the suspension
is more likely a clock set back to get round it (the brand records a real late one)."""


def _past_suspension(at: datetime, party: Any) -> str | None:
    """The reason of a suspension lifted since that `at` falls in (from the party's sanction
    history: `suspended_from` / `suspended_until` / `suspended_for`, no end for the current
    one); None when it falls in none. Only the current one has the offline window; a lifted
    one is over, and a shipment dated inside it is one the breaker refused at the time."""
    spans = zip(
        party["suspended_from"] or (),
        party["suspended_until"] or (),
        party["suspended_for"] or (),
        strict=True,
    )
    for start, until, reason in spans:
        if until is not None and start <= at < until:
            return str(reason or "suspended")
    return None


def shipment_problem(scan: ScanIn, party: Any, now: datetime) -> DomainError | None:
    """`party` is the to_party row (None when unknown). A shipment scanned before the party
    was suspended happened before it: it is stored when uploaded within
    `SUSPENSION_OFFLINE_WINDOW` of its own scan time (a handheld offline for a day), as the
    investigation needs to know what the party received; one scanned since is refused (the
    circuit breaker), and so is one that took longer to arrive (a clock set back, by years
    even, got a shipment past the breaker: review)."""
    if scan.to_party_id is None:
        return None
    if party is None:
        return _field_error("to_party_id", f"party {scan.to_party_id!r} does not exist")
    if (earlier := _past_suspension(scan.scanned_at, party)) is not None:
        return Conflict(
            f"party {scan.to_party_id} was suspended ({earlier}) when this shipment was "
            "scanned; shipments to it in that time are refused",
            extra={"reason": "party_suspended", "suspension_reason": earlier},
        )
    suspended_at = party["suspended_at"]
    if suspended_at is None:
        return None
    reason = party["suspension_reason"] or "suspended"
    refused = f"party {scan.to_party_id} is suspended ({reason}); shipments to it are refused"
    window = SUSPENSION_OFFLINE_WINDOW
    if scan.scanned_at < suspended_at:
        if now - scan.scanned_at <= window:  # the handheld was offline at most that long
            return None
        hours = window.total_seconds() / 3600
        refused += (
            f"; one scanned before the suspension is taken only when uploaded within"
            f" {hours:.0f} h of being scanned (a handheld that was offline)"
        )
    return Conflict(refused, extra={"reason": "party_suspended", "suspension_reason": reason})


def verdict_of(
    result: VerificationResult, commissioned: bool, checkpoint: Checkpoint
) -> tuple[Literal["genuine", "suspicious", "counterfeit"], str | None]:
    if not result.ok:
        return "counterfeit", result.reason.value if result.reason else "malformed"
    if not commissioned and checkpoint not in (Checkpoint.COMMISSION, Checkpoint.PACK):
        return "suspicious", "never_commissioned"
    return "genuine", None


def pack_problem(
    parent_level: str | None, children: list[tuple[str, Any, bool]]
) -> DomainError | None:
    """`children`: (code, registry row or None, genuine?) for each child payload."""
    if parent_level is None or parent_level not in MAY_CONTAIN:
        return _field_error("payload", "pack needs a case or pallet code to pack into")
    seen: set[str] = set()
    for index, (code, row, genuine) in enumerate(children):
        if row is None or not genuine:
            return InvalidInput(
                f"children[{index}] is not a genuine code",
                errors=[{"loc": ["body", "children", index], "msg": "not a genuine code"}],
            )
        if row["level"] not in MAY_CONTAIN[parent_level]:
            return InvalidInput(
                f"children[{index}]: a {parent_level} cannot hold a {row['level']}",
                errors=[{"loc": ["body", "children", index], "msg": "wrong level"}],
            )
        if code in seen:
            return InvalidInput(
                f"children[{index}] is listed twice",
                errors=[{"loc": ["body", "children", index], "msg": "duplicate"}],
            )
        seen.add(code)
    return None


ScanIdentity = tuple[object, ...]
"""What makes two sends of an event_id the same scan (`identity_of`)."""


def identity_of(
    payload: str,
    checkpoint: str,
    scanned_at: datetime,
    to_party_id: str | None,
    unpack: bool,
    fix: tuple[float, float, float | None] | None,
    children: Sequence[str] | None = None,
) -> ScanIdentity:
    """The scan's own facts, as stored: a retry sends them again unchanged. The accuracy is
    compared as the `real` column holds it; the time as an instant, whatever its offset; the
    payload without scanner whitespace (rows stored before it was removed kept it); a pack's
    children as the codes stored for them, in their order (none and an empty list alike)."""
    payload = payload.strip(SCANNER_WHITESPACE)
    if fix is not None:
        lat, lon, accuracy = fix
        fix = (lat, lon, float4(accuracy) if accuracy else None)
    packed = tuple(children) if children else None
    return (payload, checkpoint, scanned_at.astimezone(UTC), to_party_id, unpack, fix, packed)


def identity_of_request(scan: ScanIn) -> ScanIdentity:
    loc = scan.location
    fix = (loc.lat, loc.lon, loc.accuracy_m) if loc is not None else None
    children = [code_or_none(c) or "" for c in scan.children] if scan.children else None
    return identity_of(
        scan.payload,
        scan.checkpoint.value,
        scan.scanned_at,
        scan.to_party_id,
        scan.unpack,
        fix,
        children,
    )
