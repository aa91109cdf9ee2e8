"""All SQL of consumer verification and loyalty; set-based, one query per step of a group."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson


async def code_rows(conn: asyncpg.Connection, codes: Sequence[str]) -> dict[str, asyncpg.Record]:
    """The codes with their batch and product, row-locked until the transaction ends.

    The locks serialise verifications of one code (a handful at most), so every check sees
    the checks before it and the loyalty decision is made once; they do not block foreign
    keys (NO KEY UPDATE) and no other code. Rows are locked in code order (the locking step
    runs after the sort), so two groups wanting overlapping codes cannot deadlock.
    """
    if not codes:
        return {}
    rows = await conn.fetch(
        """SELECT c.code, c.payload, c.batch_id, c.commissioned_at, c.inner_code_hash,
                  b.gtin, b.lot, b.level, b.expiry, b.plant_id, b.revoked_at AS batch_revoked_at,
                  p.name AS product_name, p.inner_code_required
           FROM codes c
           JOIN code_batches b ON b.id = c.batch_id
           JOIN products p ON p.gtin = b.gtin
           WHERE c.code = ANY($1::text[])
           ORDER BY c.code
           FOR NO KEY UPDATE OF c""",
        sorted(codes),
    )
    return {r["code"]: r for r in rows}


async def consumer_checks(
    conn: asyncpg.Connection, codes: Sequence[str]
) -> dict[str, list[asyncpg.Record]]:
    """Every earlier consumer verification of each code, oldest first."""
    found: dict[str, list[asyncpg.Record]] = {}
    if not codes:
        return found
    rows = await conn.fetch(
        """SELECT code, event_id, scanned_at, lat, lon, accuracy_m, consumer_id,
                  response->>'loyalty_reason' AS loyalty_reason
           FROM scan_events
           WHERE code = ANY($1::text[]) AND checkpoint = 'consumer_verify'
           ORDER BY code, scanned_at, event_id""",
        list(codes),
    )
    for row in rows:
        found.setdefault(row["code"], []).append(row)
    return found


async def lock_consumers(conn: asyncpg.Connection, consumer_ids: Sequence[str]) -> None:
    """Serialise consumers' point claims (the daily and region limits stay exact).

    Taken after the codes' row locks, never before, and in key order, so two groups cannot
    deadlock.
    """
    if not consumer_ids:
        return
    await conn.execute(
        """SELECT count(pg_advisory_xact_lock(k))
           FROM (SELECT DISTINCT hashtextextended('sealtrace.loyalty:' || c, 0) AS k
                 FROM unnest($1::text[]) AS c
                 ORDER BY k) AS keys""",
        list(consumer_ids),
    )


async def claim_history(
    conn: asyncpg.Connection,
    codes: Sequence[str],
    consumer_ids: Sequence[str],
    since: datetime,
) -> tuple[set[str], dict[str, list[tuple[datetime, str | None]]]]:
    """Which of `codes` were claimed already, and each consumer's claims since `since`."""
    rows = await conn.fetch(
        """SELECT code, NULL::text AS consumer_id, NULL::timestamptz AS claimed_at,
                  NULL::text AS region
           FROM loyalty_claims WHERE code = ANY($1::text[])
           UNION ALL
           SELECT NULL, consumer_id, claimed_at, region
           FROM loyalty_claims
           WHERE consumer_id = ANY($2::text[]) AND claimed_at >= $3""",
        list(codes),
        list(consumer_ids),
        since,
    )
    claimed: set[str] = set()
    claims: dict[str, list[tuple[datetime, str | None]]] = {}
    for row in rows:
        if row["consumer_id"] is None:
            claimed.add(row["code"])
        else:
            claims.setdefault(row["consumer_id"], []).append((row["claimed_at"], row["region"]))
    return claimed, claims


async def insert_claims(
    conn: asyncpg.Connection,
    claims: Sequence[tuple[str, str, uuid.UUID, int, str | None, datetime]],
) -> set[str]:
    """Points per code, once: returns the codes whose claim won (nobody had claimed them)."""
    if not claims:
        return set()
    ordered = sorted(claims, key=lambda c: c[0])
    columns: list[list[Any]] = [[claim[i] for claim in ordered] for i in range(6)]
    rows = await conn.fetch(
        """INSERT INTO loyalty_claims (code, consumer_id, event_id, points, region, claimed_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::int4[], $5::text[],
                                $6::timestamptz[])
           ON CONFLICT (code) DO NOTHING
           RETURNING code""",
        *columns,
    )
    return {r["code"] for r in rows}


async def insert_events(conn: asyncpg.Connection, events: Sequence[tuple[Any, ...]]) -> None:
    """Consumer checks: (event_id, code, payload, scanned_at, lat, lon, accuracy_m, verdict,
    reason, consumer_id, response) each, sent as one JSON array of arrays (why: see
    scan_api/scans/repository.insert_events)."""
    if not events:
        return
    await conn.execute(
        """INSERT INTO scan_events (event_id, code, payload, checkpoint, party_id, scanned_at,
                                    lat, lon, accuracy_m, verdict, reason, consumer_id, response)
           SELECT (r->>0)::uuid, r->>1, r->>2, 'consumer_verify', NULL, (r->>3)::timestamptz,
                  (r->>4)::float8, (r->>5)::float8, (r->>6)::float8::float4, r->>7, r->>8,
                  r->>9, r->10
           FROM jsonb_array_elements($1::text::jsonb) AS r""",
        orjson.dumps(events, default=str).decode(),
    )
