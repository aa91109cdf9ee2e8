"""Alert cases: list, read, and act (the workflow is pure; this loads and stores it)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from risk_engine import cases_repository, repository
from risk_engine.rules.leaked_code import LeakMember, late_commission
from risk_engine.workflow import (
    CaseAction,
    CaseState,
    CaseStatus,
    EscalationLevel,
    HistoryEntry,
    Money,
    WorkCalendar,
    act,
    allowed_actions,
    penalties,
)
from traceability.auth.models import Actor, Principal
from traceability.config import Settings
from traceability.errors import NotFound


async def get(conn: asyncpg.Connection, alert_id: uuid.UUID) -> dict[str, Any]:
    row = await cases_repository.get_alert(conn, alert_id)
    if row is None:
        raise NotFound(f"alert {alert_id} does not exist")
    return as_json(row, await cases_repository.history(conn, alert_id))


def _state(row: asyncpg.Record) -> CaseState:
    level = row["escalation_level"]
    return CaseState(
        CaseStatus(row["status"]),
        EscalationLevel(level) if level else None,
        row["investigation_started_at"],
    )


async def _penalties(conn: asyncpg.Connection, codes: Sequence[str]) -> tuple[Money, ...]:
    """3 x unit value x diverted items, summed over the products involved, per currency."""
    rows = await cases_repository.item_values(conn, codes)
    return penalties([(Decimal(r["unit_value"]), int(r["items"]), r["currency"]) for r in rows])


def work_calendar(settings: Settings) -> WorkCalendar:
    """The brand's calendar for evidence deadlines (`SEALTRACE_TIMEZONE`, `_HOLIDAYS`,
    `_WORKDAYS`)."""
    return WorkCalendar(
        ZoneInfo(settings.timezone), frozenset(settings.holidays), frozenset(settings.workdays)
    )


async def perform(
    conn: asyncpg.Connection,
    principal: Principal,
    alert_id: uuid.UUID,
    action: CaseAction,
    note: str,
    calendar: WorkCalendar,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Apply one case action; its history line is appended in the same transaction.

    The incident's lock comes first, the one the risk engine takes to merge evidence into an
    open alert (`repository.lock_incidents`): a merge under way finishes before a confirm
    prices the alert's codes, and one that comes after finds the alert closed and opens a
    new one. Without it a merge that had seen the alert open could add codes to it after the
    confirm, past its penalty.
    """
    now = now or datetime.now(UTC)
    key = await cases_repository.incident_key(conn, alert_id)
    if key is not None:
        await repository.lock_incidents(conn, [key])
    row = await cases_repository.get_alert(conn, alert_id, for_update=True)
    if row is None:
        raise NotFound(f"alert {alert_id} does not exist")
    state = _state(row)
    new, entry = act(state, action, actor=principal.actor, note=note, at=now)
    due = row["evidence_due_at"]
    if (
        new.investigation_started_at
        and new.investigation_started_at != state.investigation_started_at
    ):
        due = calendar.evidence_due(new.investigation_started_at)
    fine: tuple[Money, ...] = ()
    if new.status is CaseStatus.CONFIRMED and row["type"] == "diversion":
        fine = await _penalties(conn, row["codes"])
    await _record(conn, alert_id, new, entry, due, principal.token_id, fine)
    return await get(conn, alert_id)


async def _record(
    conn: asyncpg.Connection,
    alert_id: uuid.UUID,
    new: CaseState,
    entry: HistoryEntry,
    due: datetime | None,
    token_id: uuid.UUID | None,
    fine: tuple[Money, ...] = (),
) -> None:
    """The case's new state and its history line (by the token `token_id`, if any)."""
    await cases_repository.update_case(
        conn,
        alert_id,
        new.status.value,
        new.level.value if new.level else None,
        new.investigation_started_at,
        due,
        fine,
    )
    await cases_repository.add_history(
        conn,
        alert_id,
        entry.actor,
        entry.action.value,
        entry.note,
        entry.from_status.value,
        entry.to_status.value,
        entry.level.value if entry.level else None,
        token_id,
    )


def as_json(row: asyncpg.Record, history: Sequence[asyncpg.Record] = ()) -> dict[str, Any]:
    location = None
    if row["observed_lat"] is not None:
        location = {
            "lat": row["observed_lat"],
            "lon": row["observed_lon"],
            "accuracy_m": row["observed_accuracy_m"],
        }
    body: dict[str, Any] = {
        "id": str(row["id"]),
        "type": row["type"],
        "severity": row["severity"],
        "status": row["status"],
        "escalation_level": row["escalation_level"],
        "reason": row["reason"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "first_seen": row["first_seen"].isoformat(),
        "last_seen": row["last_seen"].isoformat(),
        "summary": row["summary"],
        "codes": list(row["codes"]),
        "source_party_id": row["source_party_id"],
        "observed_party_id": row["observed_party_id"],
        "observed_location": location,
        "expected_territory_ids": list(row["expected_territory_ids"]),
        "evidence_event_ids": list(row["evidence_event_ids"]),
        "evidence_due_at": row["evidence_due_at"].isoformat() if row["evidence_due_at"] else None,
        "penalty": None,
        "allowed_actions": [a.value for a in CaseAction if a in allowed_actions(_state(row))],
        "history": [
            {
                "at": h["at"].isoformat(),
                "actor": h["actor"],
                "actor_token_id": str(h["actor_token_id"]) if h["actor_token_id"] else None,
                "action": h["action"],
                "note": h["note"],
                "from_status": h["from_status"],
                "to_status": h["to_status"],
                "to_level": h["to_level"],
            }
            for h in history
        ],
    }
    if row["penalties"] is not None:  # a confirmed diversion (jsonb: a list)
        body["penalties"] = list(row["penalties"])
        if len(body["penalties"]) == 1:
            body["penalty"] = body["penalties"][0]
    return body


ENGINE = Actor("risk-engine")


async def withdraw_explained_leaks(
    conn: asyncpg.Connection, commissioned: Sequence[str], now: datetime | None = None
) -> None:
    """Commissions uploaded late explain the open leaked_code alerts of their codes: a note
    in each alert's history, and the alert dismissed once none of its codes is left
    unexplained, unless an officer is already investigating it (by the engine, in the
    commissions' transaction)."""
    now = now or datetime.now(UTC)
    rows = await cases_repository.open_leaks_holding(conn, commissioned)
    alerts: dict[uuid.UUID, list[asyncpg.Record]] = {}
    for row in rows:
        alerts.setdefault(row["id"], []).append(row)
    arrived = set(commissioned)
    found = {
        alert_id: decided
        for alert_id, members in alerts.items()
        if (
            decided := late_commission(
                [LeakMember(m["code"], m["commissioned_at"], m["seen_at"]) for m in members],
                arrived,
            )
        )
        is not None
    }
    if not found:
        return
    # Every incident at once, in key order (as the engine's merges lock them): no deadlock.
    await repository.lock_incidents(conn, [alerts[a][0]["incident_key"] for a in found])
    for alert_id, (codes, nothing_left) in found.items():
        await _withdraw(conn, alert_id, codes, nothing_left, now)


async def _withdraw(
    conn: asyncpg.Connection,
    alert_id: uuid.UUID,
    codes: list[str],
    nothing_left: bool,
    now: datetime,
) -> None:
    row = await cases_repository.get_alert(conn, alert_id, for_update=True)
    if row is None or CaseStatus(row["status"]) in (CaseStatus.CONFIRMED, CaseStatus.DISMISSED):
        return
    note = (
        f"commission of {', '.join(codes)} uploaded late: commissioned before seen in the "
        "market, so not leaked"
    )
    state = _state(row)
    if nothing_left:
        note += "; no code of this alert is left unexplained"
    # Withdrawn while nobody works on it; a case under investigation is left to its officer.
    withdraw = nothing_left and state.status is CaseStatus.OPEN
    action = CaseAction.DISMISS if withdraw else CaseAction.COMMENT
    new, entry = act(state, action, actor=ENGINE.name, note=note, at=now)
    await _record(conn, alert_id, new, entry, row["evidence_due_at"], ENGINE.token_id)
