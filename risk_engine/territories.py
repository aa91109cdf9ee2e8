"""The territory index shared by all rules, rebuilt when territories change (checked every 2 s).

The rebuild parses every territory's GeoJSON into shapely geometries (~0.1 s for 300
realistic territories): it runs in a worker thread, so the event loop keeps serving other
requests meanwhile; the caller that found the change waits for it, and calls made while it
is being built get the index as it was (or, before the first one exists, wait for it too).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import asyncpg

from geo.geometry import to_shape
from geo.index import TerritoryIndex
from geo.regions import RegionMap
from risk_engine import repository

CHECK_EVERY_S = 2.0


def build(rows: Sequence[Any]) -> tuple[TerritoryIndex, dict[str, str], RegionMap]:
    """The index, the names and the region map of `rows` (id, name, geometry): pure CPU."""
    index = TerritoryIndex({r["id"]: to_shape(r["geometry"]) for r in rows})
    names = {r["id"]: r["name"] for r in rows}
    return index, names, RegionMap.from_index(index, names)


class TerritoryCache:
    """One index per process, used by the rules and by consumer region labels alike."""

    def __init__(self, check_every_s: float = CHECK_EVERY_S) -> None:
        self.check_every_s = check_every_s
        self._index = TerritoryIndex({})
        self._names: dict[str, str] = {}
        self._regions = RegionMap({})
        self._fingerprint: tuple[int, str] | None = None
        self._checked_at = float("-inf")
        self._checking: asyncio.Future[None] | None = None

    async def index(self, conn: asyncpg.Connection | asyncpg.Pool) -> TerritoryIndex:
        if self._checking is not None:  # another caller is checking: one check at a time
            if self._fingerprint is None:  # and nothing is loaded yet: wait for it
                await asyncio.shield(self._checking)
                if self._fingerprint is None:  # that check failed: try ours
                    return await self.index(conn)
            return self._index
        if time.monotonic() - self._checked_at >= self.check_every_s:
            self._checking = asyncio.get_running_loop().create_future()
            try:
                await self._check(conn)
            finally:
                self._checking.set_result(None)
                self._checking = None
        return self._index

    async def _check(self, conn: asyncpg.Connection | asyncpg.Pool) -> None:
        fingerprint = await repository.territories_fingerprint(conn)
        if fingerprint != self._fingerprint:
            rows = await repository.all_territories(conn)
            self._index, self._names, self._regions = await asyncio.to_thread(build, rows)
            self._fingerprint = fingerprint
        self._checked_at = time.monotonic()

    async def regions(self, conn: asyncpg.Connection | asyncpg.Pool) -> RegionMap:
        await self.index(conn)
        return self._regions

    def name(self, territory_id: str) -> str:
        return self._names.get(territory_id, territory_id)
