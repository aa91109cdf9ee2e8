"""Regions of many points at once: the same answers as one `locate` per point."""

from __future__ import annotations

import random

import shapely

from geo.distance import haversine_m
from geo.index import TerritoryIndex
from geo.regions import (
    AREA_CELL_DEG,
    COARSE_ERROR_M,
    Region,
    RegionMap,
    area_cell,
    coarse_label,
    coarse_point,
)

TERRITORIES = {
    "east-china": ("East China", shapely.box(118.0, 28.0, 123.0, 33.0)),
    "shanghai": ("Shanghai", shapely.box(121.0, 30.8, 122.0, 31.6)),  # inside east-china
    "jiangsu": ("Jiangsu", shapely.box(116.0, 33.0, 121.0, 35.0)),  # shares an edge with it
    "ring": (
        "Ring",
        shapely.Polygon(
            [(100, 20), (110, 20), (110, 26), (100, 26)],
            [[(103, 22), (107, 22), (107, 24), (103, 24)]],
        ),
    ),
}


def _one_by_one(index: TerritoryIndex, names: dict[str, str], lat: float, lon: float) -> Region:
    """The definition: territories whose interior holds the point (per `locate`), smallest."""
    holding = [m.territory_id for m in index.locate(lat, lon) if m.contains_point]
    if holding:
        best = min(holding, key=lambda t: (index.geometry(t).area, t))
        return Region(f"territory:{best}", names[best])
    return Region(area_cell(lat, lon, AREA_CELL_DEG), coarse_label(lat, lon))


def test_regions_of_a_batch_match_one_locate_per_point() -> None:
    rng = random.Random(7)
    points = [(rng.uniform(15, 40), rng.uniform(95, 130)) for _ in range(2_000)]
    points += [(31.2, 121.4), (33.0, 119.0), (30.8, 121.5), (23.0, 105.0), (21.0, 105.0)]
    points += [(-33.9, 151.2), (0.0, 0.0)]  # far from every territory
    regions = RegionMap(TERRITORIES)
    index = TerritoryIndex({t: geom for t, (_, geom) in TERRITORIES.items()})
    names = {t: name for t, (name, _) in TERRITORIES.items()}
    expected = [_one_by_one(index, names, lat, lon) for lat, lon in points]
    assert regions.regions(points) == expected
    assert [regions.region(lat, lon) for lat, lon in points[-7:]] == expected[-7:]
    picked = {r.key for r in expected}
    assert {"territory:shanghai", "territory:east-china", "territory:ring"} <= picked
    assert regions.region(23.0, 105.0).key.startswith("cell:")  # in the ring's hole
    assert regions.region(31.2, 121.4).label == "Shanghai"  # the smaller of two holders


def test_no_points_and_no_territories() -> None:
    assert RegionMap(TERRITORIES).regions([]) == []
    empty = RegionMap({})
    assert empty.regions([(31.2, 121.4)]) == [
        Region(area_cell(31.2, 121.4, AREA_CELL_DEG), coarse_label(31.2, 121.4))
    ]


def test_coarse_points_are_a_tenth_of_a_degree_and_never_negative_zero() -> None:
    assert coarse_point(31.123456, 121.654321) == (31.1, 121.7)
    lat, lon = coarse_point(-0.04, -0.04)
    assert (lat, lon) == (0.0, 0.0) and str(lat) == str(lon) == "0.0"
    # The rounding moves a point less than COARSE_ERROR_M, whatever the latitude.
    for lat, lon in ((0.05, 0.05), (31.15, 121.65), (59.95, 10.75)):
        near = coarse_point(lat - 1e-9, lon - 1e-9)
        assert haversine_m(lat, lon, *near) < COARSE_ERROR_M
