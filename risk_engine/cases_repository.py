"""SQL of the alert case workflow: list, read and act on alerts (risk_engine/alerts.py).

The risk engine's own SQL (facts, incidents, saving alerts) is in risk_engine/repository.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
import orjson

from risk_engine.workflow import Money
from traceability.db.columns import json_list


async def add_history(
    conn: asyncpg.Connection,
    alert_id: uuid.UUID,
    actor: str,
    action: str,
    note: str,
    from_status: str | None,
    to_status: str | None,
    to_level: str | None = None,
    actor_token_id: uuid.UUID | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO alert_history (alert_id, actor, action, note, from_status, to_status,
                                      to_level, actor_token_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        alert_id,
        actor,
        action,
        note,
        from_status,
        to_status,
        to_level,
        actor_token_id,
    )


async def list_alerts(
    conn: asyncpg.Connection,
    *,
    type_: str | None,
    status: str | None,
    severity: str | None,
    party_id: str | None,
    code: str | None,
    since: datetime | None,
    overdue_at: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Newest first; every filter is optional (NULL parameters match everything)."""
    return await conn.fetch(
        """SELECT * FROM alert_cases a
        WHERE ($1::text IS NULL OR type = $1)
          AND ($2::text IS NULL OR status = $2)
          AND ($3::text IS NULL OR severity = $3)
          AND ($4::text IS NULL OR source_party_id = $4 OR observed_party_id = $4)
          AND ($5::text IS NULL OR a.id = ANY(ARRAY(SELECT m.alert_id FROM alert_codes m
                                                    WHERE m.code = $5)))
          AND ($6::timestamptz IS NULL OR created_at >= $6)
          AND ($7::timestamptz IS NULL OR (status IN ('investigating', 'escalated')
                                          AND evidence_due_at < $7))
          AND ($8::timestamptz IS NULL OR (created_at, id) < ($8, $9::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $10""",
        type_,
        status,
        severity,
        party_id,
        code,
        since,
        overdue_at,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def alert_counts(conn: asyncpg.Connection, overdue_at: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT type, status, severity, count(*) AS n,
                  count(*) FILTER (WHERE status IN ('investigating', 'escalated')
                                   AND evidence_due_at < $1) AS overdue
           FROM alerts GROUP BY type, status, severity""",
        overdue_at,
    )


async def incident_key(conn: asyncpg.Connection, alert_id: uuid.UUID) -> str | None:
    key: str | None = await conn.fetchval("SELECT incident_key FROM alerts WHERE id = $1", alert_id)
    return key


async def get_alert(
    conn: asyncpg.Connection, alert_id: uuid.UUID, for_update: bool = False
) -> asyncpg.Record | None:
    """The alert with its codes and evidence (first-seen order). `for_update` locks the row
    first, in a statement of its own: a merge holding it commits its new members before the
    lock is granted, and only a statement started after that sees them (one statement's
    member subqueries would keep the snapshot from before the wait)."""
    if (
        for_update
        and await conn.fetchval("SELECT id FROM alerts WHERE id = $1 FOR UPDATE", alert_id) is None
    ):
        return None
    return await conn.fetchrow(
        "SELECT * FROM alert_cases WHERE id = $1",
        alert_id,
    )


async def history(conn: asyncpg.Connection, alert_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT at, actor, actor_token_id, action, note, from_status, to_status, to_level
           FROM alert_history
           WHERE alert_id = $1 ORDER BY id""",
        alert_id,
    )


async def update_case(
    conn: asyncpg.Connection,
    alert_id: uuid.UUID,
    status: str,
    level: str | None,
    investigation_started_at: datetime | None,
    evidence_due_at: datetime | None,
    fines: Sequence[Money] = (),
) -> None:
    """The case's new state; `fines` (a confirmed diversion's penalty per currency), once
    set, are kept."""
    await conn.execute(
        """UPDATE alerts SET status = $2, escalation_level = $3,
               investigation_started_at = $4, evidence_due_at = $5,
               penalties = coalesce($6::text::jsonb, penalties),
               updated_at = clock_timestamp()
           WHERE id = $1""",
        alert_id,
        status,
        level,
        investigation_started_at,
        evidence_due_at,
        orjson.dumps([f.as_json() for f in fines]).decode() if fines else None,
    )


async def item_values(conn: asyncpg.Connection, codes: Sequence[str]) -> list[asyncpg.Record]:
    """Item counts per product among `codes`, with each product's unit value and currency."""
    return await conn.fetch(
        """SELECT p.gtin, p.unit_value, p.currency, count(*) AS items
           FROM codes c JOIN code_batches b ON b.id = c.batch_id
           JOIN products p ON p.gtin = b.gtin
           WHERE c.code = ANY($1::text[]) AND b.level = 'item'
           GROUP BY p.gtin, p.unit_value, p.currency""",
        list(codes),
    )


async def open_leaks_holding(
    conn: asyncpg.Connection, codes: Sequence[str]
) -> list[asyncpg.Record]:
    """Open leaked_code alerts holding any of `codes`: one row per alert and member code,
    with the code's commission time and its first market scan among the alert's evidence."""
    if not codes:
        return []
    return await conn.fetch(
        """SELECT a.id, a.incident_key, m.code, c.commissioned_at,
                  (SELECT min(e.scanned_at) FROM alert_evidence ev
                   JOIN scan_events e ON e.event_id = ev.event_id::uuid
                   WHERE ev.alert_id = a.id AND e.code = m.code) AS seen_at
           FROM alerts a
           JOIN alert_codes m ON m.alert_id = a.id
           LEFT JOIN codes c ON c.code = m.code
           WHERE a.id IN (SELECT alert_id FROM alert_codes WHERE code = ANY(
                            ARRAY(SELECT jsonb_array_elements_text($1::text::jsonb))))
             AND a.type = 'leaked_code' AND a.status NOT IN ('confirmed', 'dismissed')
           ORDER BY a.id, m.code""",
        json_list(codes),
    )
