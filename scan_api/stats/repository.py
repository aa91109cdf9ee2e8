"""SQL of the statistics: consumer verifications grouped into lat/lon grid cells."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def verification_cells(
    conn: asyncpg.Connection, since: datetime, cell_deg: float, max_cells: int
) -> list[asyncpg.Record]:
    """Per cell (row/column index of `cell_deg` degrees): total and per verdict, busiest first."""
    return await conn.fetch(
        """
        SELECT floor(lat / $2)::int AS y, floor(lon / $2)::int AS x,
               count(*)::int AS n,
               count(*) FILTER (WHERE verdict = 'genuine')::int AS genuine,
               count(*) FILTER (WHERE verdict = 'suspicious')::int AS suspicious,
               count(*) FILTER (WHERE verdict = 'counterfeit')::int AS counterfeit
        FROM scan_events
        WHERE checkpoint = 'consumer_verify' AND party_id IS NULL
          AND lat IS NOT NULL AND lon IS NOT NULL
          AND scanned_at >= $1
        GROUP BY 1, 2
        ORDER BY n DESC, y, x
        LIMIT $3
        """,
        since,
        cell_deg,
        max_cells,
    )


async def verifications_without_location(conn: asyncpg.Connection, since: datetime) -> int:
    n = await conn.fetchval(
        """
        SELECT count(*) FROM scan_events
        WHERE checkpoint = 'consumer_verify' AND party_id IS NULL
          AND (lat IS NULL OR lon IS NULL) AND scanned_at >= $1
        """,
        since,
    )
    return int(n or 0)
