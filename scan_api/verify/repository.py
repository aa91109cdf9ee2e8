"""All SQL of consumer verification and loyalty; set-based, one query per step of a group."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from traceability.db.group_commit import RetryAlone
from traceability.events import RECEIVING, SHIPPING, Checkpoint

PAST_THE_PLANT = sorted(c.value for c in (*SHIPPING, *RECEIVING, Checkpoint.RETAIL_SELL))
"""Custody scans that put a code in trade: it (or its case) has left the plant."""


async def lock_group(
    conn: asyncpg.Connection,
    codes: Sequence[str],
    consumer_ids: Sequence[str],
    networks: Sequence[str] = (),
) -> dict[str, asyncpg.Record]:
    """The codes with their batch and product, row-locked until the transaction ends; then the
    claim locks of the consumers and of the networks their claims may come from. One
    statement, locks always in this order.

    The code locks serialise verifications of one code (a handful at most), so every check
    sees the checks before it and the loyalty decision is made once; they do not block
    foreign keys (NO KEY UPDATE) and no other code. Rows are locked in code order, and the
    consumers' advisory locks (which keep the daily and region limits exact) only after all of
    them, in key order (the one-time filter runs `consumers` first, and it counts `locked`
    first), so two groups wanting overlapping codes or consumers cannot deadlock.

    `shipped_at`: the first custody scan past the plant of the code, or of a case or pallet
    holding it at the time (two levels, as custody goes: docs/custody.md); NULL while it
    has none. Only a code in trade pays points. (Looked up for every code: asked only for
    unclaimed items, through `NOT EXISTS` on `loyalty_claims`, the planner hashed the whole
    claims table per statement, 10 → 103 µs per check.)
    """
    if not codes and not consumer_ids:
        return {}
    claimants = [f"sealtrace.loyalty:{c}" for c in consumer_ids]
    claimants += [f"sealtrace.loyalty-net:{n}" for n in networks]
    rows = await conn.fetch(
        """WITH locked AS (
               SELECT c.code, c.payload, c.batch_id, c.commissioned_at, c.inner_code_hash,
                      c.inner_code_keyed,
                      c.clone_reasons, c.clone_checks, c.clone_first_event, c.clone_basis,
                      b.gtin, b.lot, b.level, b.expiry, b.plant_id,
                      b.revoked_at AS batch_revoked_at, b.created_by,
                      p.name AS product_name, p.inner_code_required,
                      least((SELECT min(e.scanned_at) FROM scan_events e
                             WHERE e.code = c.code AND e.checkpoint = ANY($3::text[])
                               AND e.verdict <> 'counterfeit'),
                            (SELECT min(e.scanned_at) FROM containment k
                             JOIN scan_events e ON e.code = k.parent_code
                              AND e.scanned_at >= k.packed_at
                              AND (k.unpacked_at IS NULL OR e.scanned_at < k.unpacked_at)
                             WHERE k.child_code = c.code AND e.checkpoint = ANY($3::text[])
                               AND e.verdict <> 'counterfeit'),
                            (SELECT min(e.scanned_at) FROM containment k
                             JOIN containment k2 ON k2.child_code = k.parent_code
                             JOIN scan_events e ON e.code = k2.parent_code
                              AND e.scanned_at >= greatest(k.packed_at, k2.packed_at)
                              AND (k.unpacked_at IS NULL OR e.scanned_at < k.unpacked_at)
                              AND (k2.unpacked_at IS NULL OR e.scanned_at < k2.unpacked_at)
                             WHERE k.child_code = c.code AND e.checkpoint = ANY($3::text[])
                               AND e.verdict <> 'counterfeit')) AS shipped_at
               FROM codes c
               JOIN code_batches b ON b.id = c.batch_id
               JOIN products p ON p.gtin = b.gtin
               WHERE c.code = ANY($1::text[])
               ORDER BY c.code
               FOR NO KEY UPDATE OF c),
           consumers AS (
               SELECT count(pg_advisory_xact_lock(k)) AS n
               FROM (SELECT DISTINCT hashtextextended(c, 0) AS k
                     FROM unnest($2::text[]) AS c
                     ORDER BY k) AS keys
               WHERE (SELECT count(*) FROM locked) >= 0)
           SELECT * FROM locked WHERE (SELECT n FROM consumers) >= 0""",
        sorted(codes),
        claimants,
        list(PAST_THE_PLANT),
    )
    return {r["code"]: r for r in rows}


@dataclass(frozen=True, slots=True)
class History:
    """What the group's checks are decided on (read after `lock_group`'s locks)."""

    checks: dict[str, list[asyncpg.Record]]  # earlier consumer checks per code, oldest first
    claimed: set[str]  # codes somebody has points for
    claims: dict[str, list[tuple[datetime, str | None]]]  # per consumer: (claimed_at, region)
    network_claims: dict[str, list[datetime]]  # per network: claimed_at


async def history(
    conn: asyncpg.Connection,
    codes: Sequence[str],
    consumer_ids: Sequence[str],
    since: datetime,
    first_checks: Sequence[uuid.UUID] = (),
    networks: Sequence[str] = (),
    network_since: datetime | None = None,
) -> History:
    """Earlier consumer checks of the codes, which of them were claimed, and each consumer's
    claims since `since`: one statement. A forged copy's checks (verdict counterfeit) are not
    checks of the code (`risk_engine.evidence.consumer_checks`).

    `first_checks`: the first checks of codes with a stored clone finding, read instead of
    all their checks. Their codes are not in `codes`: the finding holds the count, and a
    clone pays no points, so their claims do not matter. `networks`: claims from these
    networks since `network_since` (their daily limit; default `since`).
    """
    found = History({}, set(), {}, {})
    if not codes and not consumer_ids and not first_checks and not networks:
        return found
    rows = await conn.fetch(
        """SELECT 1 AS kind, code, event_id, scanned_at, lat, lon, accuracy_m, consumer_id,
                  response->>'loyalty_reason' AS loyalty_reason, NULL::text AS region,
                  client_net
           FROM scan_events
           WHERE code = ANY($1::text[]) AND checkpoint = 'consumer_verify'
             AND verdict <> 'counterfeit'
           UNION ALL
           SELECT 1, code, event_id, scanned_at, lat, lon, accuracy_m, consumer_id,
                  response->>'loyalty_reason', NULL, client_net
           FROM scan_events WHERE event_id = ANY($4::uuid[])
           UNION ALL
           SELECT 2, code, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
           FROM loyalty_claims WHERE code = ANY($1::text[])
           UNION ALL
           SELECT 3, NULL, NULL, claimed_at, NULL, NULL, NULL, consumer_id, NULL, region, NULL
           FROM loyalty_claims
           WHERE consumer_id = ANY($2::text[]) AND claimed_at >= $3
           UNION ALL
           SELECT 4, NULL, NULL, claimed_at, NULL, NULL, NULL, NULL, NULL, NULL, client_net
           FROM loyalty_claims
           WHERE client_net = ANY($5::text[]) AND claimed_at >= $6
           ORDER BY kind, code, scanned_at, event_id""",
        list(codes),
        list(consumer_ids),
        since,
        list(first_checks),
        list(networks),
        network_since or since,
    )
    for row in rows:
        if row["kind"] == 1:
            found.checks.setdefault(row["code"], []).append(row)
        elif row["kind"] == 2:
            found.claimed.add(row["code"])
        elif row["kind"] == 4:
            found.network_claims.setdefault(row["client_net"], []).append(row["scanned_at"])
        else:
            found.claims.setdefault(row["consumer_id"], []).append(
                (row["scanned_at"], row["region"])
            )
    return found


class ClaimRaceLost(RetryAlone):
    """A claim met a claim of the same code that its row lock should have kept out.

    Cannot happen while every claim is written under its code's row lock (`lock_group`); if
    it ever does, the group's transaction fails and each check is retried alone, re-reading
    the claims (traceability/db/group_commit.py), so no answer promises points it did not pay.
    """


async def insert_checks(
    conn: asyncpg.Connection,
    events: Sequence[tuple[Any, ...]],
    claims: Sequence[tuple[str, str, uuid.UUID, int, str | None, datetime, str | None]],
    clones: Sequence[tuple[str, Sequence[str], int, uuid.UUID, str]] = (),
) -> None:
    """Consumer checks, their loyalty claims and the codes' clone findings, in one statement.

    Checks: (event_id, code, payload, scanned_at, lat, lon, accuracy_m, verdict, reason,
    consumer_id, response, client_net) each; claims: (code, consumer_id, event_id, points,
    region, claimed_at, client_net), at most one per code; clones: (code, reasons, checks so
    far, first check, basis) per code found cloned, written under the code's row lock. All
    are sent as JSON arrays of arrays (why: see scan_api/scans/repository.insert_events).
    Raises ClaimRaceLost
    when a claim was not written.
    """
    if not events and not claims and not clones:
        return
    written = await conn.fetchval(
        """WITH checks AS (
               INSERT INTO scan_events (event_id, code, payload, checkpoint, party_id,
                                        scanned_at, lat, lon, accuracy_m, verdict, reason,
                                        consumer_id, response, client_net)
               SELECT (r->>0)::uuid, r->>1, r->>2, 'consumer_verify', NULL,
                      (r->>3)::timestamptz, (r->>4)::float8, (r->>5)::float8,
                      (r->>6)::float8::float4, r->>7, r->>8, r->>9, r->10, r->>11
               FROM jsonb_array_elements($1::text::jsonb) AS r),
           claims AS (
               INSERT INTO loyalty_claims (code, consumer_id, event_id, points, region,
                                           claimed_at, client_net)
               SELECT c->>0, c->>1, (c->>2)::uuid, (c->>3)::int4, c->>4,
                      (c->>5)::timestamptz, c->>6
               FROM jsonb_array_elements($2::text::jsonb) AS c
               ORDER BY 1
               ON CONFLICT (code) DO NOTHING
               RETURNING 1),
           clones AS (
               UPDATE codes
               SET clone_reasons = ARRAY(SELECT jsonb_array_elements_text(k->1)),
                   clone_checks = (k->>2)::int4,
                   clone_first_event = (k->>3)::uuid,
                   clone_basis = k->>4
               FROM jsonb_array_elements($3::text::jsonb) AS k
               WHERE codes.code = k->>0)
           SELECT count(*) FROM claims""",
        orjson.dumps(events, default=str).decode(),
        orjson.dumps(claims, default=str).decode(),
        orjson.dumps(clones, default=str).decode(),
    )
    if written != len(claims):
        raise ClaimRaceLost(f"{len(claims) - written} of {len(claims)} claims met an earlier one")
