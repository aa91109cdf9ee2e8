"""All SQL about territories and the parties' authorizations to sell in them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from traceability.masterdata.models import Authorization, Territory, Upserted

# ---------------------------------------------------------------- territories


def _territory(row: asyncpg.Record) -> Territory:
    return Territory(
        id=row["id"],
        name=row["name"],
        geometry=row["geometry"],
        min_lon=row["min_lon"],
        min_lat=row["min_lat"],
        max_lon=row["max_lon"],
        max_lat=row["max_lat"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def upsert_territory(
    conn: asyncpg.Connection,
    territory_id: str,
    name: str,
    geometry: dict[str, Any],
    bbox: tuple[float, float, float, float],
) -> Upserted[Territory]:
    row = await conn.fetchrow(
        """
        INSERT INTO territories (id, name, geometry, min_lon, min_lat, max_lon, max_lat)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (id) DO UPDATE SET
            name = EXCLUDED.name,
            geometry = EXCLUDED.geometry,
            min_lon = EXCLUDED.min_lon,
            min_lat = EXCLUDED.min_lat,
            max_lon = EXCLUDED.max_lon,
            max_lat = EXCLUDED.max_lat,
            updated_at = now()
        RETURNING id, name, geometry, min_lon, min_lat, max_lon, max_lat, created_at, updated_at,
            (xmax = 0) AS inserted
        """,
        territory_id,
        name,
        geometry,
        *bbox,
    )
    assert row is not None
    return Upserted(_territory(row), bool(row["inserted"]))


async def get_territory(conn: asyncpg.Connection, territory_id: str) -> Territory | None:
    row = await conn.fetchrow(
        """SELECT id, name, geometry, min_lon, min_lat, max_lon, max_lat, created_at, updated_at
        FROM territories WHERE id = $1""",
        territory_id,
    )
    return None if row is None else _territory(row)


async def territory_exists(conn: asyncpg.Connection, territory_id: str) -> bool:
    return bool(
        await conn.fetchval("SELECT EXISTS (SELECT 1 FROM territories WHERE id = $1)", territory_id)
    )


async def list_territories(
    conn: asyncpg.Connection, after: str | None, limit: int
) -> list[Territory]:
    rows = await conn.fetch(
        """
        SELECT id, name, geometry, min_lon, min_lat, max_lon, max_lat, created_at,
            updated_at FROM territories
        WHERE $1::text IS NULL OR id > $1::text
        ORDER BY id LIMIT $2
        """,
        after,
        limit,
    )
    return [_territory(r) for r in rows]


# ---------------------------------------------------------------- authorizations


def _authorization(row: asyncpg.Record) -> Authorization:
    gtins = row["gtins"]
    return Authorization(
        party_id=row["party_id"],
        territory_id=row["territory_id"],
        gtins=None if gtins is None else tuple(gtins),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def upsert_authorization(
    conn: asyncpg.Connection, party_id: str, territory_id: str, gtins: Sequence[str] | None
) -> Upserted[Authorization]:
    row = await conn.fetchrow(
        """
        INSERT INTO party_territories (party_id, territory_id, gtins)
        VALUES ($1, $2, $3)
        ON CONFLICT (party_id, territory_id) DO UPDATE SET
            gtins = EXCLUDED.gtins,
            updated_at = now()
        RETURNING party_id, territory_id, gtins, created_at, updated_at, (xmax = 0) AS inserted
        """,
        party_id,
        territory_id,
        None if gtins is None else list(gtins),
    )
    assert row is not None
    return Upserted(_authorization(row), bool(row["inserted"]))


async def get_authorization(
    conn: asyncpg.Connection, party_id: str, territory_id: str
) -> Authorization | None:
    row = await conn.fetchrow(
        """
        SELECT party_id, territory_id, gtins, created_at, updated_at FROM party_territories
        WHERE party_id = $1 AND territory_id = $2
        """,
        party_id,
        territory_id,
    )
    return None if row is None else _authorization(row)


async def delete_authorization(conn: asyncpg.Connection, party_id: str, territory_id: str) -> bool:
    status = await conn.execute(
        "DELETE FROM party_territories WHERE party_id = $1 AND territory_id = $2",
        party_id,
        territory_id,
    )
    return status == "DELETE 1"


async def list_authorizations(
    conn: asyncpg.Connection, party_id: str, after: str | None, limit: int
) -> list[Authorization]:
    rows = await conn.fetch(
        """
        SELECT party_id, territory_id, gtins, created_at, updated_at FROM party_territories
        WHERE party_id = $1 AND ($2::text IS NULL OR territory_id > $2::text)
        ORDER BY territory_id LIMIT $3
        """,
        party_id,
        after,
        limit,
    )
    return [_authorization(r) for r in rows]
