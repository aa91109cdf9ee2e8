"""HTTP: GET /v1/codes/{code}/trace (admin, compliance; logistics for the codes it held)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from scan_api.http.deps import CurrentPrincipal, Tx
from scan_api.trace.schemas import TraceEvent, TraceLocation, TraceOut
from traceability.custody import service
from traceability.custody.models import Custody, EffectiveEvent

router = APIRouter(tags=["trace"])
CodeRef = Annotated[str, Path(max_length=600, description="Canonical code or URL-encoded payload")]


def _event(effective: EffectiveEvent) -> TraceEvent:
    e = effective.event
    location = None
    if e.location is not None:
        location = TraceLocation(
            lat=e.location.lat, lon=e.location.lon, accuracy_m=e.location.accuracy_m
        )
    out = TraceEvent(
        event_id=e.event_id,
        checkpoint=e.checkpoint,
        party_id=e.party_id,
        location=location,
        scanned_at=e.scanned_at,
        recorded_at=e.recorded_at,
        verdict=e.verdict,
    )
    # Optional keys are present only when they have a value (api.md marks them with `?`).
    if e.to_party_id is not None:
        out.to_party_id = e.to_party_id
    if effective.via is not None:
        out.via = effective.via
    return out


def _out(custody: Custody) -> TraceOut:
    info = custody.info
    out = TraceOut(
        code=info.code,
        level=info.level,
        gtin=info.gtin,
        lot=info.lot,
        status=info.status,
        children_count=info.children_count,
        custodians=custody.custodians,
        events=[_event(e) for e in custody.events],
    )
    if info.parent is not None:
        out.parent = info.parent
    return out


@router.get(
    "/v1/codes/{code:path}/trace",
    response_model=TraceOut,
    response_model_exclude_unset=True,
    responses={
        403: {"description": "A line token (traces are not among its rights)"},
        404: {"description": "Unknown code, or one the caller may not see"},
    },
)
async def code_trace(code: CodeRef, conn: Tx, principal: CurrentPrincipal) -> TraceOut:
    """Where the code has been: its scans and its containers' scans, and who held it.

    Admin and compliance see every code; a logistics token the codes its party held (a
    custodian, or it scanned the code or a case or pallet holding it), anything else is 404
    for it. A line token is 403 (api.md "Roles"). Each event also carries its `verdict`
    (an addition to api.md).
    """
    return _out(await service.trace(conn, principal, code))
