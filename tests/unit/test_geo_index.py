from __future__ import annotations

import math
import random

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geo.distance import haversine_m
from geo.index import Match, PlacementStatus, TerritoryIndex

M = 111_195.08  # metres per degree of latitude
LAT = 31.5
COS = math.cos(math.radians(LAT))
INSIDE, OUTSIDE, AMBIGUOUS = (
    PlacementStatus.INSIDE,
    PlacementStatus.OUTSIDE,
    PlacementStatus.AMBIGUOUS,
)

IDX = TerritoryIndex(
    {
        "a": box(121.0, 31.0, 122.0, 32.0),
        "b": box(122.0, 31.0, 123.0, 32.0),
        "far": box(116.0, 39.5, 117.0, 40.5),
        "multi": MultiPolygon([box(100.0, 20.0, 101.0, 21.0), box(102.0, 20.0, 103.0, 21.0)]),
        "holed": Polygon(
            [(110, 30), (112, 30), (112, 32), (110, 32)],
            [[(110.5, 30.5), (111.5, 30.5), (111.5, 31.5), (110.5, 31.5)]],
        ),
    }
)


def lon_from_a_west_edge(metres: float) -> float:
    return 121.0 + metres / (M * COS)


@pytest.mark.parametrize(
    ("metres", "accuracy", "status"),
    [
        (300, 500, AMBIGUOUS),  # the PRODUCT.md example: 300 m inside, 500 m circle
        (300, 200, INSIDE),
        (300, 299, INSIDE),
        (300, 0, INSIDE),
        (-300, 500, AMBIGUOUS),
        (-300, 200, OUTSIDE),
        (-300, 0, OUTSIDE),
        (0, 0, AMBIGUOUS),
        (5_000, 4_900, INSIDE),
        (5_000, 5_100, AMBIGUOUS),
    ],
)
def test_accuracy_circle_semantics(metres: float, accuracy: float, status: PlacementStatus) -> None:
    placed = IDX.classify(LAT, lon_from_a_west_edge(metres), accuracy, ["a"])
    assert placed.status is status
    assert placed.territory_id == "a"
    if metres >= 0:
        assert placed.distance_outside_m == 0
    else:
        assert placed.distance_outside_m == pytest.approx(-metres, rel=0.002)


def test_distance_outside_is_metres_on_the_sphere_far_away() -> None:
    placed = IDX.classify(39.9, 116.4, 50, ["a"])
    assert placed.status is OUTSIDE
    # nearest point of box a from Beijing is its north-west corner region (32.0, 121.0)
    expected = haversine_m(39.9, 116.4, 32.0, 121.0)
    assert placed.distance_outside_m == pytest.approx(expected, rel=0.01)
    east_west = IDX.classify(LAT, 120.0, 10, ["a"])
    assert east_west.distance_outside_m == pytest.approx(M * COS, rel=0.001)  # not 111 km


def test_union_of_adjacent_allowed_territories_covers_the_shared_border() -> None:
    on_border = 122.0 - 100 / (M * COS)
    assert IDX.classify(LAT, on_border, 500, ["a"]).status is AMBIGUOUS
    assert IDX.classify(LAT, on_border, 500, ["a", "b"]).status is INSIDE


def test_nearest_of_several_allowed_is_named() -> None:
    placed = IDX.classify(LAT, 123.5, 10, ["a", "b", "far"])
    assert (placed.status, placed.territory_id) == (OUTSIDE, "b")


def test_unknown_or_empty_allowed_sets() -> None:
    placed = IDX.classify(LAT, 121.5, 10, ["nope"])
    assert placed.status is OUTSIDE and placed.distance_outside_m == math.inf
    assert placed.territory_id is None
    assert IDX.classify(LAT, 121.5, 10, []).status is OUTSIDE


def test_holes_and_multipolygons() -> None:
    assert IDX.classify(31.0, 111.0, 10, ["holed"]).status is OUTSIDE  # in the hole
    assert IDX.classify(30.2, 111.0, 10, ["holed"]).status is INSIDE
    assert IDX.classify(20.5, 102.5, 10, ["multi"]).status is INSIDE
    gap = IDX.classify(20.5, 101.5, 10, ["multi"])
    assert gap.status is OUTSIDE
    assert gap.distance_outside_m == pytest.approx(
        0.5 * M * math.cos(math.radians(20.5)), rel=0.002
    )


def test_locate() -> None:
    assert IDX.locate(LAT, 121.5, 10) == [Match("a", INSIDE, True)]
    near_border = IDX.locate(LAT, 122.0 - 100 / (M * COS), 500)
    assert near_border == [Match("a", AMBIGUOUS, True), Match("b", AMBIGUOUS, False)]
    assert IDX.locate(0.0, 0.0, 1000) == []
    assert IDX.locate(31.0, 111.0, 10) == []  # in the hole
    assert [m.territory_id for m in IDX.locate(31.5, 121.5)] == ["a"]


def test_index_basics_and_bad_input() -> None:
    assert len(IDX) == 5 and "a" in IDX and "z" not in IDX
    assert IDX.territory_ids[0] == "a"
    assert IDX.geometry("a").equals(box(121.0, 31.0, 122.0, 32.0))
    assert IDX.distance_m(LAT, 121.5, "a") == 0
    assert IDX.distance_m(LAT, 120.0, "a") == pytest.approx(M * COS, rel=0.001)
    with pytest.raises(ValueError):
        IDX.classify(LAT, 121.5, -1, ["a"])
    with pytest.raises(ValueError):
        IDX.locate(LAT, 121.5, math.nan)
    with pytest.raises(ValueError):
        TerritoryIndex({"x": Polygon()})
    assert TerritoryIndex({}).locate(LAT, 121.5, 10) == []


def test_agrees_with_brute_force_on_random_points() -> None:
    rng = random.Random(7)
    for _ in range(300):
        lat, lon = rng.uniform(30.5, 32.5), rng.uniform(120.5, 123.5)
        truth = {tid for tid in IDX.territory_ids if IDX.geometry(tid).contains(Point(lon, lat))}
        found = {m.territory_id for m in IDX.locate(lat, lon, 0) if m.contains_point}
        assert found == truth


def _irregular(rng: random.Random, lon: float, lat: float) -> Polygon:
    """A star-shaped polygon with ragged edges: cells along them are partly outside."""
    points = []
    for k in range(24):
        angle = 2 * math.pi * k / 24
        radius = rng.uniform(0.2, 0.6)
        points.append((lon + radius * math.cos(angle), lat + radius * math.sin(angle)))
    return Polygon(points)


def test_the_cell_shortcut_answers_exactly_as_the_geometry_does() -> None:
    """`classify` answers most INSIDE fixes from a grid of cells wholly inside the territory;
    over fixes near ragged edges, holes and shared borders it must give the very placement
    the geometry calls give (the index built with `shortcut=False`)."""
    rng = random.Random(11)
    shapes = {f"t{k}": _irregular(rng, 121 + k * 0.7, 31.5) for k in range(4)}
    shapes |= {
        "holed": Polygon(
            [(110, 30), (112, 30), (112, 32), (110, 32)],
            [[(110.5, 30.5), (111.5, 30.5), (111.5, 31.5), (110.5, 31.5)]],
        ),
        "a": box(121.0, 33.0, 122.0, 34.0),
        "b": box(122.0, 33.0, 123.0, 34.0),
    }
    fast, exact = TerritoryIndex(shapes), TerritoryIndex(shapes, shortcut=False)
    ids = list(shapes)
    insides = 0
    for _ in range(4_000):
        minx, miny, maxx, maxy = shapes[rng.choice(ids)].bounds
        lat, lon = rng.uniform(miny - 0.1, maxy + 0.1), rng.uniform(minx - 0.1, maxx + 0.1)
        accuracy = rng.choice([0.0, 5.0, 30.0, 300.0, 3_000.0, 30_000.0])
        allowed = rng.sample(ids, rng.randint(1, 4))
        got = fast.classify(lat, lon, accuracy, allowed)
        assert got == exact.classify(lat, lon, accuracy, allowed), (lat, lon, accuracy, allowed)
        insides += got.status is INSIDE
    assert insides > 500
    # ... and the shortcut was taken: a GPS-sized box deep inside is covered by its cells.
    assert fast._covered(ids.index("a"), (121.40, 33.40, 121.41, 33.41))
    assert not exact._covered(ids.index("a"), (121.40, 33.40, 121.41, 33.41))
