"""The territory index shared by all rules, rebuilt when territories change (checked every 2 s)."""

from __future__ import annotations

import time

import asyncpg

from geo.geometry import to_shape
from geo.index import TerritoryIndex
from geo.regions import RegionMap
from risk_engine import repository

CHECK_EVERY_S = 2.0


class TerritoryCache:
    """One index per process, used by the rules and by consumer region labels alike."""

    def __init__(self, check_every_s: float = CHECK_EVERY_S) -> None:
        self.check_every_s = check_every_s
        self._index = TerritoryIndex({})
        self._names: dict[str, str] = {}
        self._regions = RegionMap({})
        self._fingerprint: tuple[int, str] | None = None
        self._checked_at = float("-inf")

    async def index(self, conn: asyncpg.Connection | asyncpg.Pool) -> TerritoryIndex:
        if time.monotonic() - self._checked_at >= self.check_every_s:
            fingerprint = await repository.territories_fingerprint(conn)
            if fingerprint != self._fingerprint:
                rows = await repository.all_territories(conn)
                self._index = TerritoryIndex({r["id"]: to_shape(r["geometry"]) for r in rows})
                self._names = {r["id"]: r["name"] for r in rows}
                self._regions = RegionMap.from_index(self._index, self._names)
                self._fingerprint = fingerprint
            self._checked_at = time.monotonic()
        return self._index

    async def regions(self, conn: asyncpg.Connection | asyncpg.Pool) -> RegionMap:
        await self.index(conn)
        return self._regions

    def name(self, territory_id: str) -> str:
        return self._names.get(territory_id, territory_id)
