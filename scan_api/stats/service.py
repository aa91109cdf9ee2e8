"""Use cases of the statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from scan_api.stats import repository

MAX_CELLS = 20_000


@dataclass(frozen=True, slots=True)
class Cell:
    lat: float  # centre of the cell
    lon: float
    count: int
    genuine: int
    suspicious: int
    counterfeit: int


@dataclass(frozen=True, slots=True)
class VerificationStats:
    since: datetime
    cell_deg: float
    cells: list[Cell]
    total: int
    without_location: int
    truncated: bool


async def verifications(
    conn: asyncpg.Connection, since: datetime, cell_deg: float
) -> VerificationStats:
    rows = await repository.verification_cells(conn, since, cell_deg, MAX_CELLS + 1)
    truncated = len(rows) > MAX_CELLS
    cells = [
        Cell(
            lat=round((r["y"] + 0.5) * cell_deg, 6),
            lon=round((r["x"] + 0.5) * cell_deg, 6),
            count=r["n"],
            genuine=r["genuine"],
            suspicious=r["suspicious"],
            counterfeit=r["counterfeit"],
        )
        for r in rows[:MAX_CELLS]
    ]
    return VerificationStats(
        since=since,
        cell_deg=cell_deg,
        cells=cells,
        total=sum(c.count for c in cells),
        without_location=await repository.verifications_without_location(conn, since),
        truncated=truncated,
    )
