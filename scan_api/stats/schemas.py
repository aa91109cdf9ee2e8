"""API types of the statistics."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CellOut(BaseModel):
    lat: float = Field(description="Latitude of the cell's centre.")
    lon: float = Field(description="Longitude of the cell's centre.")
    count: int
    genuine: int
    suspicious: int
    counterfeit: int


class VerificationStatsOut(BaseModel):
    since: datetime
    cell_deg: float = Field(description="Cell size in degrees (latitude and longitude).")
    cells: list[CellOut] = Field(description="Cells with at least one verification, busiest first.")
    total: int = Field(description="Verifications with a location in the returned cells.")
    without_location: int = Field(description="Verifications since `since` without a GPS fix.")
    truncated: bool = Field(description="More cells existed than were returned (20,000 max).")
