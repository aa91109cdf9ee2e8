"""SQL of /v1/me: the caller's party and the parties a shipper may name as consignee."""

from __future__ import annotations

import asyncpg

from scan_api.me.models import PartyRef


def _ref(row: asyncpg.Record) -> PartyRef:
    return PartyRef(
        id=row["id"],
        kind=row["kind"],
        name=row["name"],
        parent_id=row["parent_id"],
        suspended=row["suspended_at"] is not None,
    )


async def party(conn: asyncpg.Connection, party_id: str) -> PartyRef | None:
    row = await conn.fetchrow(
        "SELECT id, kind, name, parent_id, suspended_at FROM parties WHERE id = $1", party_id
    )
    return None if row is None else _ref(row)


async def ship_targets(
    conn: asyncpg.Connection, exclude: str | None, query: str | None, after: str | None, limit: int
) -> list[PartyRef]:
    """Dealers and retailers that are not suspended, by id; `query` matches id or name."""
    rows = await conn.fetch(
        """
        SELECT id, kind, name, parent_id, suspended_at FROM parties
        WHERE kind IN ('dealer', 'retailer')
          AND suspended_at IS NULL
          AND ($1::text IS NULL OR id <> $1::text)
          AND ($2::text IS NULL
               OR strpos(lower(id), lower($2::text)) > 0
               OR strpos(lower(name), lower($2::text)) > 0)
          AND ($3::text IS NULL OR id > $3::text)
        ORDER BY id
        LIMIT $4
        """,
        exclude,
        query,
        after,
        limit,
    )
    return [_ref(r) for r in rows]
