"""All SQL of consumer verification and loyalty."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg


async def code_row(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    """The code with its batch and product, row-locked until the transaction ends.

    The lock serialises verifications of one code (a handful at most), so every check sees
    the checks before it and the loyalty decision is made once; it does not block foreign
    keys (NO KEY UPDATE) and no other code.
    """
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT c.code, c.payload, c.batch_id, c.commissioned_at, c.inner_code_hash,
                  b.gtin, b.lot, b.level, b.expiry, b.revoked_at AS batch_revoked_at,
                  p.name AS product_name, p.inner_code_required
           FROM codes c
           JOIN code_batches b ON b.id = c.batch_id
           JOIN products p ON p.gtin = b.gtin
           WHERE c.code = $1
           FOR NO KEY UPDATE OF c""",
        code,
    )
    return row


async def consumer_checks(conn: asyncpg.Connection, code: str) -> list[asyncpg.Record]:
    """Every earlier consumer verification of the code, oldest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT event_id, scanned_at, lat, lon, accuracy_m, consumer_id,
                  response->>'loyalty_reason' AS loyalty_reason
           FROM scan_events
           WHERE code = $1 AND checkpoint = 'consumer_verify'
           ORDER BY scanned_at, event_id""",
        code,
    )
    return rows


async def lock_consumer(conn: asyncpg.Connection, consumer_id: str) -> None:
    """Serialise one consumer's point claims (the daily and region limits stay exact).

    Taken after the code's row lock, never before, so two requests cannot deadlock.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('sealtrace.loyalty:' || $1, 0))",
        consumer_id,
    )


async def claim_history(
    conn: asyncpg.Connection,
    code: str,
    consumer_id: str,
    day_since: datetime,
    regions_since: datetime,
) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT EXISTS (SELECT 1 FROM loyalty_claims WHERE code = $1) AS code_claimed,
                  (SELECT count(*) FROM loyalty_claims
                    WHERE consumer_id = $2 AND claimed_at >= $3) AS claims_today,
                  (SELECT coalesce(array_agg(DISTINCT region), '{}') FROM loyalty_claims
                    WHERE consumer_id = $2 AND claimed_at >= $4
                      AND region IS NOT NULL) AS regions""",
        code,
        consumer_id,
        day_since,
        regions_since,
    )
    assert row is not None  # an aggregate-only SELECT always returns one row
    return row


async def insert_claim(
    conn: asyncpg.Connection,
    code: str,
    consumer_id: str,
    event_id: uuid.UUID,
    points: int,
    region: str | None,
    at: datetime,
) -> bool:
    """Points for the code, once: False when somebody's claim for it exists already."""
    inserted = await conn.fetchval(
        """INSERT INTO loyalty_claims (code, consumer_id, event_id, points, region, claimed_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (code) DO NOTHING
           RETURNING true""",
        code,
        consumer_id,
        event_id,
        points,
        region,
        at,
    )
    return bool(inserted)


async def insert_event(
    conn: asyncpg.Connection,
    event_id: uuid.UUID,
    code: str | None,
    payload: str,
    at: datetime,
    location: tuple[float, float, float | None] | None,
    verdict: str,
    reason: str | None,
    consumer_id: str | None,
    response: dict[str, Any],
) -> None:
    lat, lon, accuracy = location if location is not None else (None, None, None)
    await conn.execute(
        """INSERT INTO scan_events (event_id, code, payload, checkpoint, party_id, scanned_at,
                                    lat, lon, accuracy_m, verdict, reason, consumer_id, response)
           VALUES ($1, $2, $3, 'consumer_verify', NULL, $4, $5, $6, $7, $8, $9, $10, $11)""",
        event_id,
        code,
        payload,
        at,
        lat,
        lon,
        accuracy,
        verdict,
        reason,
        consumer_id,
        response,
    )
