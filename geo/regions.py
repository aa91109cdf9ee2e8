"""Regions a consumer may be told about: a territory's name, else a coarse grid cell. Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping
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
        self._names, self._index = names, index

    @classmethod
    def from_index(cls, index: TerritoryIndex, names: Mapping[str, str]) -> RegionMap:
        """Share an index that is already built (the risk engine's)."""
        regions = cls({})
        regions._names, regions._index = dict(names), index
        return regions

    def __len__(self) -> int:
        return len(self._names)

    def region(self, lat: float, lon: float) -> Region:
        """The smallest territory holding the point, else a coarse grid cell / rounded label."""
        holding = [m.territory_id for m in self._index.locate(lat, lon) if m.contains_point]
        if holding:
            best = min(holding, key=lambda t: (self._index.geometry(t).area, t))
            return Region(f"territory:{best}", self._names.get(best, best))
        return Region(area_cell(lat, lon, AREA_CELL_DEG), coarse_label(lat, lon))


def coarse_label(lat: float, lon: float) -> str:
    """A place label of about 10 km: never a consumer's exact position."""
    return f"{_round1(lat)}, {_round1(lon)}"


def _round1(value: float) -> str:
    text = f"{round(value, 1):.1f}"
    return "0.0" if text == "-0.0" else text
