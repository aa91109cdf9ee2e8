"""GeoJSON territory validation: every kind of bad geometry is a 422 that names the problem."""

from __future__ import annotations

import math
from typing import Any

import pytest

from geo.geometry import MAX_VERTICES, to_shape, validate_geojson
from traceability.errors import InvalidInput

SQUARE = [[121.0, 31.0], [122.0, 31.0], [122.0, 32.0], [121.0, 32.0], [121.0, 31.0]]


def polygon(*rings: list[Any]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def rejected(value: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        validate_geojson(value)
    exc = info.value
    assert exc.status == 422
    assert exc.errors
    assert exc.errors[0]["loc"][:2] == ["body", "geometry"]
    assert exc.errors[0]["msg"] in exc.detail
    return exc


def circle(n: int) -> list[list[float]]:
    ring = [
        [100 + math.cos(2 * math.pi * i / n), 30 + math.sin(2 * math.pi * i / n)] for i in range(n)
    ]
    return [*ring, ring[0]]


def test_valid_polygon_returns_bbox_and_normalized_geojson() -> None:
    valid = validate_geojson(polygon([[121, 31], [122, 31], [122, 32], [121, 32], [121, 31]]))
    assert valid.bbox.as_list() == [121.0, 31.0, 122.0, 32.0]
    assert valid.geojson == polygon(SQUARE)
    assert all(isinstance(c, float) for p in valid.geojson["coordinates"][0] for c in p)
    assert valid.vertex_count == 5
    assert valid.area_deg2 == pytest.approx(1.0)


def test_polygon_with_hole_and_either_orientation() -> None:
    outer = [[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]  # clockwise is accepted
    hole = [[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]]
    valid = validate_geojson(polygon(outer, hole))
    assert valid.area_deg2 == pytest.approx(96.0)
    assert to_shape(valid.geojson).contains(to_shape(polygon(SQUARE)).centroid) is False


def test_multipolygon_bbox_covers_all_parts() -> None:
    second = [[130, -10], [131, -10], [131, -9], [130, -9], [130, -10]]
    valid = validate_geojson({"type": "MultiPolygon", "coordinates": [[SQUARE], [second]]})
    assert valid.bbox.as_list() == [121.0, -10.0, 131.0, 32.0]
    assert to_shape(valid.geojson).geom_type == "MultiPolygon"


def test_altitude_is_dropped_and_bbox_member_ignored() -> None:
    ring = [[*p, 5.0] for p in SQUARE]
    valid = validate_geojson({"type": "Polygon", "coordinates": [ring], "bbox": [0, 0, 1, 1]})
    assert valid.geojson == polygon(SQUARE)
    assert valid.bbox.as_list() == [121.0, 31.0, 122.0, 32.0]


def test_extreme_but_legal_coordinates() -> None:
    world = [[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]
    assert validate_geojson(polygon(world)).bbox.as_list() == [-180.0, -90.0, 180.0, 90.0]


def test_unclosed_ring_is_not_silently_closed() -> None:
    exc = rejected(polygon([*SQUARE[:-1], [121.0, 31.5]]))
    assert "not closed" in exc.detail
    assert exc.errors is not None
    assert exc.errors[0]["loc"] == ["body", "geometry", "coordinates", 0]


def test_ring_with_too_few_positions() -> None:
    exc = rejected(polygon([[0, 0], [1, 0], [0, 0]]))
    assert "at least 4 positions" in exc.detail


def test_bowtie_self_intersection_names_the_point() -> None:
    exc = rejected(polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]))
    assert "Self-intersection" in exc.detail
    assert "[0.5, 0.5]" in exc.detail


def test_hole_outside_shell_is_invalid() -> None:
    hole = [[20, 20], [21, 20], [21, 21], [20, 20]]
    exc = rejected(polygon([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], hole))
    assert "Hole lies outside shell" in exc.detail


def test_overlapping_multipolygon_parts_are_invalid() -> None:
    a = [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]
    b = [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]
    exc = rejected({"type": "MultiPolygon", "coordinates": [[a], [b]]})
    assert "not valid" in exc.detail


def test_invalid_part_of_multipolygon_is_located() -> None:
    bowtie = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    exc = rejected({"type": "MultiPolygon", "coordinates": [[SQUARE], [bowtie]]})
    assert exc.errors is not None
    assert exc.errors[0]["loc"] == ["body", "geometry", "coordinates", 1]


@pytest.mark.parametrize(
    "ring",
    [
        [[0, 0], [1, 0], [2, 0], [0, 0]],  # collinear
        [[0, 0], [1, 1], [2, 2], [3, 3], [0, 0]],  # collinear diagonal
    ],
)
def test_zero_area_ring(ring: list[list[int]]) -> None:
    exc = rejected(polygon(ring))
    assert "zero area" in exc.detail


def test_ring_of_repeated_points() -> None:
    exc = rejected(polygon([[0, 0], [0, 0], [1, 1], [0, 0]]))
    assert "distinct positions" in exc.detail


@pytest.mark.parametrize(
    ("position", "axis", "word"),
    [
        ([180.5, 10], 0, "longitude"),
        ([-181, 10], 0, "longitude"),
        ([10, 90.01], 1, "latitude"),
        ([10, -91], 1, "latitude"),
        ([10**400, 10], 0, "longitude"),
    ],
)
def test_out_of_range_coordinates(position: list[Any], axis: int, word: str) -> None:
    ring = [[0, 0], position, [0, 1], [0, 0]]
    exc = rejected(polygon(ring))
    assert word in exc.detail
    assert exc.errors is not None
    assert exc.errors[0]["loc"] == ["body", "geometry", "coordinates", 0, 1, axis]


@pytest.mark.parametrize(
    ("bad", "word"),
    [
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (True, "boolean"),
        ("1.0", "string"),
        (None, "null"),
        ([1.0], "array"),
    ],
)
def test_non_numeric_coordinates(bad: object, word: str) -> None:
    ring = [[0, 0], [1, bad], [1, 1], [0, 0]]
    exc = rejected(polygon(ring))
    assert word in exc.detail


def test_too_many_vertices() -> None:
    exc = rejected(polygon(circle(MAX_VERTICES)))  # MAX_VERTICES + 1 positions
    assert str(MAX_VERTICES) in exc.detail
    # exactly at the limit is fine
    assert validate_geojson(polygon(circle(MAX_VERTICES - 1))).vertex_count == MAX_VERTICES


def test_vertex_limit_counts_all_rings_and_parts() -> None:
    part = circle(MAX_VERTICES // 2)
    shifted = [[lon + 5, lat] for lon, lat in part]
    exc = rejected({"type": "MultiPolygon", "coordinates": [[part], [shifted]]})
    assert "more than" in exc.detail


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ({"type": "Point", "coordinates": [0, 0]}, "Point"),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "LineString"),
        ({"type": "polygon", "coordinates": [SQUARE]}, "polygon"),
        ({"coordinates": [SQUARE]}, "Polygon or MultiPolygon"),
        ({"type": 7, "coordinates": [SQUARE]}, "number"),
        ("Polygon", "GeoJSON object"),
        ([SQUARE], "GeoJSON object"),
        ({"type": "Feature", "geometry": polygon(SQUARE)}, "unexpected member"),
        ({"type": "Polygon", "coordinates": [SQUARE], "crs": {}}, "crs"),
    ],
)
def test_wrong_type(value: object, word: str) -> None:
    assert word in rejected(value).detail


@pytest.mark.parametrize(
    ("coordinates", "word"),
    [
        (None, "array of linear rings"),
        ([], "at least one linear ring"),
        ("abc", "array of linear rings"),
        ([SQUARE[0]], "one level too shallow"),
        ([SQUARE[:3]], "at least 4 positions"),
        ([[1, 2, 3, 4, 5]], "one level too shallow"),
        ([[SQUARE] * 4], "one level too deep"),
        ([[[0, 0], [1, 0], [1, 1], 5]], "array [lon, lat]"),
        ([[[0, 0], [1, 0, 0, 0], [1, 1], [0, 0]]], "got 4 items"),
        ([[[0], [1, 0], [1, 1], [0]]], "got 1 items"),
        ([{"a": 1}], "array of positions"),
    ],
)
def test_malformed_polygon_coordinates(coordinates: object, word: str) -> None:
    exc = rejected({"type": "Polygon", "coordinates": coordinates})
    assert word in exc.detail


def test_missing_coordinates() -> None:
    assert "coordinates are required" in rejected({"type": "Polygon"}).detail


@pytest.mark.parametrize(
    ("coordinates", "word"),
    [
        ([], "at least one polygon"),
        ([SQUARE], "one level too shallow"),
        ({"a": 1}, "array of polygons"),
    ],
)
def test_malformed_multipolygon_coordinates(coordinates: object, word: str) -> None:
    assert word in rejected({"type": "MultiPolygon", "coordinates": coordinates}).detail


def test_custom_loc_prefix() -> None:
    with pytest.raises(InvalidInput) as info:
        validate_geojson({"type": "Point"}, loc=("body", "territories", 3, "geometry"))
    assert info.value.errors is not None
    assert info.value.errors[0]["loc"] == ["body", "territories", 3, "geometry", "type"]


def test_unknown_member_with_lone_surrogate_is_echoed_safely() -> None:
    exc = rejected({"type": "Polygon", "coordinates": [SQUARE], "\ud800x": 1})
    assert exc.errors is not None
    assert exc.errors[0]["loc"][-1] == "\\ud800x"
    exc.detail.encode("utf-8")


def test_an_edge_across_the_antimeridian_is_refused_not_read_the_long_way() -> None:
    """[170, 10] to [-170, 10] runs 340 degrees the long way (RFC 7946 3.1.9): a territory
    meant across the date line covered West Africa instead (found by a review)."""
    band = [[170, 10], [-170, 10], [-170, 20], [170, 20], [170, 10]]
    with pytest.raises(InvalidInput) as refused:
        validate_geojson(polygon(band))
    [error] = refused.value.errors
    assert error["loc"] == ["body", "geometry", "coordinates", 0, 1]
    assert "split the territory at 180/-180 into a MultiPolygon" in error["msg"]
    split = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[170, 10], [180, 10], [180, 20], [170, 20], [170, 10]]],
            [[[-180, 10], [-170, 10], [-170, 20], [-180, 20], [-180, 10]]],
        ],
    }
    assert validate_geojson(split).bbox.as_list() == [-180.0, 10.0, 180.0, 20.0]


@pytest.mark.parametrize("box", ["x", [1, 2, 3], [1, 2, 3, "4"], [1, 2, 3, float("nan")]])
def test_a_bbox_that_is_not_one_is_refused(box: Any) -> None:
    """It is recomputed anyway, but "bbox": "x" was dropped silently (found by a review)."""
    with pytest.raises(InvalidInput) as refused:
        validate_geojson({**polygon([[0, 0], [1, 0], [1, 1], [0, 0]]), "bbox": box})
    assert refused.value.errors[0]["loc"] == ["body", "geometry", "bbox"]
    kept = {**polygon([[0, 0], [1, 0], [1, 1], [0, 0]]), "bbox": [0, 0, 1, 1]}
    assert validate_geojson(kept).bbox.as_list() == [0.0, 0.0, 1.0, 1.0]
