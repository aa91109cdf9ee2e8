"""The risk engine's party cache on a real PostgreSQL: ancestors, new parties, every edit seen."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from risk_engine.parties import PartyCache
from traceability.db.pool import create_pool

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
GTIN = "05901234123457"


async def _party(conn: asyncpg.Connection, pid: str, kind: str, parent: str | None) -> None:
    await conn.execute(
        """INSERT INTO parties (id, kind, name, parent_id, lat, lon)
           VALUES ($1::text, $2, $1::text, $3, 0.5, 0.5)""",
        pid,
        kind,
        parent,
    )


def _with_db(module_dsn: str, scenario: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
    async def main() -> None:
        pool = await create_pool(module_dsn, 1, 2)
        try:
            async with pool.acquire() as conn:
                await scenario(conn)  # type: ignore[arg-type]
        finally:
            await pool.close()

    asyncio.run(main())


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(r["id"] for r in rows)


def test_parties_come_with_ancestors_and_authorizations_and_edits_are_seen(
    module_dsn: str,
) -> None:
    async def scenario(conn: asyncpg.Connection) -> None:
        await conn.execute(
            """INSERT INTO territories (id, name, geometry, min_lon, min_lat, max_lon, max_lat)
               VALUES ('t-1', 'T1', $1, 0, 0, 1, 1), ('t-2', 'T2', $1, 0, 0, 1, 1)""",
            SQUARE,
        )
        await _party(conn, "pc-dealer", "dealer", None)
        await _party(conn, "pc-sub", "dealer", "pc-dealer")
        await _party(conn, "pc-store", "retailer", "pc-sub")
        await _party(conn, "pc-other", "dealer", None)
        await conn.execute(
            "INSERT INTO party_territories (party_id, territory_id, gtins) VALUES "
            "('pc-dealer', 't-1', NULL), ('pc-sub', 't-2', $1)",
            [GTIN],
        )
        cache = PartyCache(check_every_s=0)  # check for changes on every call
        rows = {r["id"]: r for r in await cache.rows(conn, ["pc-store"])}
        assert sorted(rows) == ["pc-dealer", "pc-store", "pc-sub"]  # not pc-other
        assert rows["pc-dealer"]["authorizations"] == [{"territory_id": "t-1", "gtins": None}]
        assert rows["pc-sub"]["authorizations"] == [{"territory_id": "t-2", "gtins": [GTIN]}]
        assert rows["pc-store"]["parent_id"] == "pc-sub"

        # An edit that keeps the row count (same authorization, other products) is seen.
        await conn.execute("UPDATE party_territories SET gtins = NULL WHERE party_id = 'pc-sub'")
        rows = {r["id"]: r for r in await cache.rows(conn, ["pc-sub"])}
        assert rows["pc-sub"]["authorizations"] == [{"territory_id": "t-2", "gtins": None}]
        # A moved party is seen with its new ancestors.
        await conn.execute("UPDATE parties SET parent_id = 'pc-other' WHERE id = 'pc-store'")
        assert _ids(await cache.rows(conn, ["pc-store"])) == ["pc-other", "pc-store"]

    _with_db(module_dsn, scenario)


def test_a_party_created_a_moment_ago_is_found_at_once(module_dsn: str) -> None:
    async def scenario(conn: asyncpg.Connection) -> None:
        cache = PartyCache(check_every_s=3600)  # no periodic check during this test
        await _party(conn, "pc-early", "dealer", None)
        assert _ids(await cache.rows(conn, ["pc-early"])) == ["pc-early"]
        await _party(conn, "pc-late", "retailer", "pc-early")
        assert _ids(await cache.rows(conn, ["pc-late"])) == ["pc-early", "pc-late"]

    _with_db(module_dsn, scenario)
