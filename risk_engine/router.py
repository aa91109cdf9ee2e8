"""HTTP: alerts and their case actions (compliance, admin)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from risk_engine import alerts, cases_repository
from risk_engine.schemas import ActionIn, AlertOut, AlertPage, Counts
from scan_api.http.deps import AppSettings, ComplianceOrAdmin, Tx
from scan_api.http.pagination import Cursor, Limit, Since, decode_cursor, encode_cursor, in_utc
from traceability.errors import InvalidInput
from traceability.identifiers import CLIENT_ID_PATTERN

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

AlertType = Literal[
    "diversion",
    "counterfeit",
    "clone",
    "impossible_travel",
    "leaked_code",
    "sequence",
    "turnover_spike",
]
Status = Literal["open", "investigating", "escalated", "confirmed", "dismissed"]
Severity = Literal["low", "medium", "high"]


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        at = in_utc(datetime.fromisoformat(key[0]))
        assert at is not None
        return at, uuid.UUID(key[1])
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        raise InvalidInput("cursor is not valid") from exc


@router.get("", response_model=AlertPage)
async def list_alerts(
    conn: Tx,
    _: ComplianceOrAdmin,
    type: AlertType | None = None,
    status: Status | None = None,
    severity: Severity | None = None,
    party_id: Annotated[str | None, Query(pattern=CLIENT_ID_PATTERN)] = None,
    code: Annotated[str | None, Query(max_length=600)] = None,
    since: Since = None,
    overdue: bool = False,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Newest first. `party_id` matches the named source or the observed party."""
    now = datetime.now(UTC)
    rows = await cases_repository.list_alerts(
        conn,
        type_=type,
        status=status,
        severity=severity,
        party_id=party_id,
        code=code,
        since=since,
        overdue_at=now if overdue else None,
        after=_after(cursor),
        limit=limit,
    )
    items = [alerts.as_json(r) for r in rows]
    last = rows[-1] if len(rows) == limit else None
    next_cursor = encode_cursor([last["created_at"].isoformat(), str(last["id"])]) if last else None
    return {"items": items, "next_cursor": next_cursor}


@router.get("/counts", response_model=Counts)
async def alert_counts(conn: Tx, _: ComplianceOrAdmin) -> dict[str, Any]:
    """Totals per type, status and severity, and how many cases are past their deadline."""
    rows = await cases_repository.alert_counts(conn, datetime.now(UTC))
    counts: dict[str, Any] = {"by_type": {}, "by_status": {}, "by_severity": {}, "overdue": 0}
    for r in rows:
        for field, key in (
            ("by_type", "type"),
            ("by_status", "status"),
            ("by_severity", "severity"),
        ):
            counts[field][r[key]] = counts[field].get(r[key], 0) + r["n"]
        counts["overdue"] += r["overdue"]
    return counts


@router.get("/{alert_id}", response_model=AlertOut)
async def get_alert(alert_id: uuid.UUID, conn: Tx, _: ComplianceOrAdmin) -> dict[str, Any]:
    return await alerts.get(conn, alert_id)


@router.post("/{alert_id}/actions", response_model=AlertOut)
async def act_on_alert(
    alert_id: uuid.UUID,
    body: ActionIn,
    conn: Tx,
    principal: ComplianceOrAdmin,
    settings: AppSettings,
) -> dict[str, Any]:
    """investigate, escalate (regional, then headquarters), confirm, dismiss, comment.

    An action the current status does not allow is 409. Every action is appended to the
    alert's history (actor, time, note), which no API can edit. Confirming a diversion
    computes the penalty: 3 x unit value x diverted items.
    """
    return await alerts.perform(
        conn, principal, alert_id, body.action, body.note, alerts.work_calendar(settings)
    )
