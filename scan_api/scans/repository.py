"""All SQL of scans, set-based: a batch of 1,000 scans costs a handful of statements."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import orjson

from scan_api.scans.models import ScanIdentity, identity_of
from traceability.db.columns import json_list


@dataclass(frozen=True, slots=True)
class StoredScan:
    """A stored event, as a retry of it is answered."""

    party_id: str | None
    response: dict[str, object]
    identity: ScanIdentity


async def stored_responses(
    conn: asyncpg.Connection, event_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StoredScan]:
    """event_id → the scanning party, the first response and the scan's own facts."""
    rows = await conn.fetch(
        """SELECT event_id, party_id, response, payload, checkpoint, scanned_at, to_party_id,
                  unpack, lat, lon, accuracy_m, children
           FROM scan_events WHERE event_id = ANY($1::uuid[])""",
        list(event_ids),
    )
    return {
        r["event_id"]: StoredScan(
            r["party_id"],
            r["response"],
            identity_of(
                r["payload"],
                r["checkpoint"],
                r["scanned_at"],
                r["to_party_id"],
                r["unpack"],
                (r["lat"], r["lon"], r["accuracy_m"]) if r["lat"] is not None else None,
                r["children"],
            ),
        )
        for r in rows
    }


async def code_rows(conn: asyncpg.Connection, codes: Sequence[str]) -> dict[str, asyncpg.Record]:
    """Issued codes with their batch and lifecycle: what verification and the rules need."""
    rows = await conn.fetch(
        """SELECT c.code, c.payload, c.batch_id, c.commissioned_at,
                  b.gtin, b.lot, b.level, b.plant_id, b.revoked_at AS batch_revoked_at,
                  b.created_by, b.created_at AS issued_at
           FROM codes c JOIN code_batches b ON b.id = c.batch_id
           WHERE c.code = ANY(ARRAY(SELECT jsonb_array_elements_text($1::text::jsonb)))""",
        json_list(codes),
    )
    return {r["code"]: r for r in rows}


async def party_rows(conn: asyncpg.Connection, ids: Sequence[str]) -> dict[str, asyncpg.Record]:
    if not ids:  # most scans ship nothing: no round trip for them
        return {}
    rows = await conn.fetch(
        """SELECT id, kind, lat, lon, suspended_at, suspension_reason, blacklisted_at,
                  ARRAY(SELECT s.at FROM party_sanctions s
                        WHERE s.party_id = p.id AND s.action <> 'lift' ORDER BY s.id)
                      AS suspended_from,
                  ARRAY(SELECT (SELECT min(l.at) FROM party_sanctions l
                                WHERE l.party_id = p.id AND l.action = 'lift' AND l.id > s.id)
                        FROM party_sanctions s
                        WHERE s.party_id = p.id AND s.action <> 'lift' ORDER BY s.id)
                      AS suspended_until,
                  ARRAY(SELECT s.reason FROM party_sanctions s
                        WHERE s.party_id = p.id AND s.action <> 'lift' ORDER BY s.id)
                      AS suspended_for
           FROM parties p WHERE id = ANY($1::text[])""",
        list(ids),
    )
    return {r["id"]: r for r in rows}


EVENT_COLUMNS = (
    "event_id",
    "code",
    "payload",
    "checkpoint",
    "party_id",
    "to_party_id",
    "scanned_at",
    "lat",
    "lon",
    "accuracy_m",
    "verdict",
    "reason",
    "consumer_id",
    "unpack",
    "token_id",
    "response",
)


async def insert_events(
    conn: asyncpg.Connection, rows: Sequence[tuple[object, ...]]
) -> set[uuid.UUID]:
    """Insert new events; returns the ids actually inserted (a concurrent twin wins the rest).

    The rows go as one jsonb array of arrays (EVENT_COLUMNS order), not as sixteen typed
    arrays: asyncpg checks every element of an array parameter in Python, and the API's
    CPU is the scarce resource here. Measured: 1.9 instead of 5.6 us of client CPU per row,
    and less time in PostgreSQL too (docs/decisions.md). Sent as text, serialized here
    (uuids read from the database are asyncpg's own type). Floats go through float8, so a
    `real` gets exactly the value a binary float4 parameter would give it.
    """
    inserted = await conn.fetch(
        """INSERT INTO scan_events (event_id, code, payload, checkpoint, party_id, to_party_id,
                                    scanned_at, lat, lon, accuracy_m, verdict, reason,
                                    consumer_id, unpack, token_id, response)
           SELECT (r->>0)::uuid, r->>1, r->>2, r->>3, r->>4, r->>5, (r->>6)::timestamptz,
                  (r->>7)::float8, (r->>8)::float8, (r->>9)::float8::float4, r->>10, r->>11,
                  r->>12, (r->>13)::bool, (r->>14)::uuid, r->15
           FROM jsonb_array_elements($1::text::jsonb) AS r
           ON CONFLICT (event_id) DO NOTHING
           RETURNING event_id""",
        orjson.dumps(rows, default=str).decode(),  # str: uuids read from the database
    )
    return {r["event_id"] for r in inserted}


async def set_children(
    conn: asyncpg.Connection, event_ids: Sequence[uuid.UUID], children: Sequence[list[str]]
) -> None:
    """Children lists are ragged, so they are written per pack event."""
    await conn.executemany(
        "UPDATE scan_events SET children = $2 WHERE event_id = $1",
        list(zip(event_ids, children, strict=True)),
    )


async def commission(
    conn: asyncpg.Connection,
    codes: Sequence[str],
    at: Sequence[datetime],
    event_ids: Sequence[uuid.UUID],
) -> set[uuid.UUID]:
    """First commissioning wins; the earliest scanned_at if two arrive out of order (in one
    upload too). Returns the scans that commissioned their code for the first time: only
    those can explain a leak (a back-dated second commission must not whitewash one).

    Two updates, the second only for codes the first did not take. An update that finds a
    row locked by a racing upload waits, then re-checks its WHERE against the committed row
    (READ COMMITTED): "still uncommissioned" is true for exactly one racer (tests/api/
    test_commission_race.py). A line's upload is all first commissions: one statement, no
    separate locking read (which cost a WAL record per code).
    """
    earliest: dict[str, tuple[datetime, int, uuid.UUID]] = {}  # ties: the smaller event id
    for code, when, event_id in zip(codes, at, event_ids, strict=True):
        entry = (when, event_id.int, event_id)
        if code not in earliest or entry < earliest[code]:
            earliest[code] = entry
    firsts = await _commission_where(conn, earliest, first=True)
    rest = {code: entry for code, entry in earliest.items() if code not in firsts}
    if rest:
        await _commission_where(conn, rest, first=False)
    return {earliest[code][2] for code in firsts}


_COMMISSION = """
    UPDATE codes SET commissioned_at = x.at, commission_event_id = x.event_id
    FROM (SELECT r->>0 AS code, (r->>1)::timestamptz AS at, (r->>2)::uuid AS event_id
          FROM jsonb_array_elements($1::text::jsonb) r) AS x
    WHERE codes.code = ANY(ARRAY(SELECT r->>0 FROM jsonb_array_elements($1::text::jsonb) r))
      AND codes.code = x.code
      AND CASE WHEN $2 THEN codes.commissioned_at IS NULL ELSE codes.commissioned_at > x.at END
    RETURNING codes.code"""


async def _commission_where(
    conn: asyncpg.Connection, entries: dict[str, tuple[datetime, int, uuid.UUID]], *, first: bool
) -> set[str]:
    """Commission the codes of `entries` not commissioned yet (`first`), or else those
    commissioned later than their entry's time; returns the codes it changed.

    One text parameter, not three typed arrays: asyncpg encodes each element of an array
    parameter in Python (docs/decisions.md, "Inserts as one JSON array of arrays"). `= ANY`
    lets the planner look codes up by key instead of hashing the whole table (a first
    version cost PostgreSQL 64 → 98 µs per commissioned scan at 60,000 codes)."""
    rows = orjson.dumps(
        [[code, when, event_id] for code, (when, _, event_id) in sorted(entries.items())],
        default=str,
    ).decode()
    return {r["code"] for r in await conn.fetch(_COMMISSION, rows, first)}


async def lock_containment(
    conn: asyncpg.Connection, children: Sequence[str], containers: Sequence[str]
) -> None:
    """Lock the containment of `children` and of `containers` until the transaction ends,
    all in one key order (two uploads locking overlapping sets wait, never deadlock).

    Two packs of one child at once would both find its old row and both insert a current one
    (the unique index refuses the second); a late pack into a case and the case's opening at
    once would each miss the other, leaving the item in the opened case. Locked first, in a
    statement of its own, the second upload's statements run after the first's commit and
    see what it wrote. Call before `move_into` and `unpack_container`.
    """
    await conn.execute(
        """SELECT count(pg_advisory_xact_lock(k))
           FROM (SELECT hashtextextended('sealtrace.containment:' || c, 0) AS k
                 FROM unnest($1::text[]) AS c
                 UNION
                 SELECT hashtextextended('sealtrace.container:' || c, 0)
                 FROM unnest($2::text[]) AS c
                 ORDER BY k) AS keys""",
        list(children),
        list(containers),
    )


async def move_into(
    conn: asyncpg.Connection,
    children: Sequence[str],
    parent: str,
    at: datetime,
    event_id: uuid.UUID,
) -> None:
    """Put each child into `parent` at `at` (the children locked first: `lock_containment`),
    in scan time, whatever the upload order (docs/custody.md):

    - the membership that held the child at `at` ends there (history kept);
    - the new one lasts until the child's next pack after `at`, or until `parent` was next
      opened at or after `at` (an `unpack` scan of it), whichever came first; open-ended if
      neither did. A late upload of an older pack therefore never displaces a newer one,
      and never puts an item back into a case already opened.

    Ties at one instant do not depend on upload order: an opening wins over a pack, and of
    two packs of one child the one with the larger event_id is the later.
    """
    await conn.execute(
        """UPDATE containment SET unpacked_at = $2, unpack_event_id = $3
           WHERE child_code = ANY($1::text[]) AND (packed_at, pack_event_id) < ($2, $3)
             AND (unpacked_at IS NULL OR unpacked_at > $2)""",
        list(children),
        at,
        event_id,
    )
    await conn.execute(
        """INSERT INTO containment (child_code, parent_code, packed_at, pack_event_id,
                                    unpacked_at, unpack_event_id)
           SELECT child, $2, $3, $4, stop.at, stop.event_id
           FROM unnest($1::text[]) AS child
           LEFT JOIN LATERAL (
               SELECT at, event_id FROM (
                   SELECT k.packed_at AS at, k.pack_event_id AS event_id
                   FROM containment k
                   WHERE k.child_code = child AND (k.packed_at, k.pack_event_id) > ($3, $4)
                   UNION ALL
                   SELECT e.scanned_at, e.event_id FROM scan_events e
                   WHERE e.code = $2 AND e.unpack AND e.scanned_at >= $3
                     AND e.verdict <> 'counterfeit') AS later
               ORDER BY at, event_id LIMIT 1) AS stop ON true""",
        list(children),
        parent,
        at,
        event_id,
    )


async def unpack_container(
    conn: asyncpg.Connection, parent: str, at: datetime, event_id: uuid.UUID
) -> int:
    """Every child in `parent` at `at` leaves it then (a late upload of an opening ends only
    the memberships it finds open at its own scan time)."""
    status = await conn.execute(
        """UPDATE containment SET unpacked_at = $2, unpack_event_id = $3
           WHERE parent_code = $1 AND packed_at <= $2
             AND (unpacked_at IS NULL OR unpacked_at > $2)""",
        parent,
        at,
        event_id,
    )
    return int(status.split()[-1])
