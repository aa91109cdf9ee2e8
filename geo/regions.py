"""Regions a consumer may be told about: a territory's name, else a coarse grid cell. Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from geo.index import TerritoryIndex

AREA_CELL_DEG = 0.5
"""Cells (about 50 km) that stand for a region outside every known territory."""


def area_cell(lat: float, lon: float, cell_deg: float) -> str:
    """A stable grid-cell name for grouping sightings, e.g. `cell:0.5:62:241`."""
    return f"cell:{cell_deg:g}:{math.floor(lat / cell_deg)}:{math.floor(lon / cell_deg)}"


@dataclass(frozen=True, slots=True)
class Region:
    key: str  # stable id for loyalty region counting: `territory:<id>` or an area cell
    label: str  # what a consumer may see: the territory's name or a rounded "lat, lon"


class RegionMap:
    """Territories (id -> name, geometry) answering "which region is this point in"."""

    def __init__(self, territories: Mapping[str, tuple[str, BaseGeometry]]) -> None:
        names = {tid: name for tid, (name, _) in territories.items()}
        index = TerritoryIndex({tid: geom for tid, (_, geom) in territories.items()})
        self._set(index, names)

    def _set(self, index: TerritoryIndex, names: Mapping[str, str]) -> None:
        self._names, self._index = dict(names), index
        self._areas = {t: index.geometry(t).area for t in index.territory_ids}

    @classmethod
    def from_index(cls, index: TerritoryIndex, names: Mapping[str, str]) -> RegionMap:
        """Share an index that is already built (the risk engine's)."""
        regions = cls({})
        regions._set(index, names)
        return regions

    def __len__(self) -> int:
        return len(self._names)

    def region(self, lat: float, lon: float) -> Region:
        """The smallest territory holding the point, else a coarse grid cell / rounded label."""
        return self.regions([(lat, lon)])[0]

    def regions(self, points: Sequence[tuple[float, float]]) -> list[Region]:
        """`region` of each (lat, lon), looked up together (one vectorised query)."""
        found = self._index.holding(points)
        return [self._pick(held, lat, lon) for held, (lat, lon) in zip(found, points, strict=True)]

    def _pick(self, holding: list[str], lat: float, lon: float) -> Region:
        if holding:
            best = min(holding, key=lambda t: (self._areas[t], t))
            return Region(f"territory:{best}", self._names.get(best, best))
        return Region(area_cell(lat, lon, AREA_CELL_DEG), coarse_label(lat, lon))


COARSE_ERROR_M = 8_000.0
"""How far a point rounded by `coarse_point` can be from where it was: half a 0.1° cell's
diagonal, ~7.9 km at the equator (less elsewhere)."""


def coarse_point(lat: float, lon: float) -> tuple[float, float]:
    """A position rounded to 0.1° (about 10 km): never a consumer's exact position."""
    return round(lat, 1) + 0.0, round(lon, 1) + 0.0  # + 0.0: no -0.0


def coarse_label(lat: float, lon: float) -> str:
    """A place label of about 10 km: never a consumer's exact position."""
    rounded_lat, rounded_lon = coarse_point(lat, lon)
    return f"{rounded_lat:.1f}, {rounded_lon:.1f}"
