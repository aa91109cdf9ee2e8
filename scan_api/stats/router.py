"""HTTP: GET /v1/stats/verifications (compliance, admin) — the console's heat map."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from scan_api.http.deps import ComplianceOrAdmin, Tx
from scan_api.http.pagination import Since
from scan_api.stats import service
from scan_api.stats.schemas import CellOut, VerificationStatsOut

router = APIRouter(prefix="/v1/stats", tags=["statistics"])


@router.get(
    "/verifications",
    response_model=VerificationStatsOut,
    summary="Consumer verifications per grid cell",
)
async def verification_stats(
    conn: Tx,
    _: ComplianceOrAdmin,
    since: Since = None,  # default: 30 days ago
    cell: Annotated[
        float, Query(ge=0.01, le=5.0, description="Cell size in degrees; default 0.1 (~10 km).")
    ] = 0.1,
) -> VerificationStatsOut:
    """Consumer verifications (`consumer_verify` events with a GPS fix) since `since`,
    counted per `cell`-degree grid cell, with the split by verdict."""
    start = since or datetime.now(UTC) - timedelta(days=30)
    stats = await service.verifications(conn, start, cell)
    return VerificationStatsOut(
        since=stats.since,
        cell_deg=stats.cell_deg,
        cells=[CellOut(**asdict(c)) for c in stats.cells],
        total=stats.total,
        without_location=stats.without_location,
        truncated=stats.truncated,
    )
