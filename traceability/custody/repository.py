"""All SQL of custody: a code's row, its containment history and the events that may count."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg


async def code_row(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    """The registry row with its batch, current container and current number of children."""
    return await conn.fetchrow(
        """SELECT c.code, c.commissioned_at, b.gtin, b.lot, b.level, b.plant_id,
                  b.revoked_at AS batch_revoked_at,
                  (SELECT k.parent_code FROM containment k
                    WHERE k.child_code = c.code AND k.unpacked_at IS NULL) AS parent_code,
                  (SELECT count(*) FROM containment k
                    WHERE k.parent_code = c.code AND k.unpacked_at IS NULL) AS children_count
           FROM codes c JOIN code_batches b ON b.id = c.batch_id
           WHERE c.code = $1""",
        code,
    )


async def containment_history(
    conn: asyncpg.Connection, code: str, max_depth: int
) -> list[asyncpg.Record]:
    """Every membership of `code`, and of its containers up to `max_depth` levels, ever."""
    return await conn.fetch(
        """WITH RECURSIVE m AS (
               SELECT child_code, parent_code, packed_at, unpacked_at,
                      pack_event_id, unpack_event_id, 1 AS depth
               FROM containment WHERE child_code = $1
               UNION
               SELECT k.child_code, k.parent_code, k.packed_at, k.unpacked_at,
                      k.pack_event_id, k.unpack_event_id, m.depth + 1
               FROM containment k JOIN m ON k.child_code = m.parent_code
               WHERE m.depth < $2
           )
           SELECT DISTINCT child_code, parent_code, packed_at, unpacked_at,
                  pack_event_id, unpack_event_id
           FROM m
           ORDER BY child_code, packed_at""",
        code,
        max_depth,
    )


async def events_of(conn: asyncpg.Connection, codes: Sequence[str]) -> list[asyncpg.Record]:
    """All stored scans of these codes (the code itself and its containers)."""
    return await conn.fetch(
        """SELECT event_id, code, checkpoint, party_id, to_party_id, scanned_at, recorded_at,
                  lat, lon, accuracy_m, verdict, unpack
           FROM scan_events
           WHERE code = ANY($1::text[])
           ORDER BY scanned_at, recorded_at""",
        list(codes),
    )
