"""Territory geometry through the API: every invalid GeoJSON is a 422 naming the problem, and
nothing is stored."""

from __future__ import annotations

import math
from typing import Any

import pytest
from starlette.testclient import TestClient

from geo.geometry import MAX_VERTICES
from tests.pg import SyncDb

PROBLEM = "application/problem+json"
SQUARE = [[121.0, 31.0], [122.0, 31.0], [122.0, 32.0], [121.0, 32.0], [121.0, 31.0]]


def polygon(*rings: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def circle(n: int) -> list[list[float]]:
    ring = [
        [
            round(100 + math.cos(2 * math.pi * i / n), 6),
            round(30 + math.sin(2 * math.pi * i / n), 6),
        ]
        for i in range(n)
    ]
    return [*ring, ring[0]]


INVALID: list[tuple[str, Any, str]] = [
    ("unclosed", polygon([*SQUARE[:-1], [121.0, 31.5]]), "not closed"),
    ("too-few", polygon([[0, 0], [1, 0], [0, 0]]), "at least 4 positions"),
    ("bowtie", polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]), "Self-intersection"),
    ("lon-range", polygon([[0, 0], [181, 0], [0, 1], [0, 0]]), "longitude 181"),
    ("lat-range", polygon([[0, 0], [1, -90.5], [0, 1], [0, 0]]), "latitude -90.5"),
    ("zero-area", polygon([[0, 0], [1, 1], [2, 2], [0, 0]]), "zero area"),
    ("too-many", polygon(circle(MAX_VERTICES + 5)), f"more than {MAX_VERTICES}"),
    ("point", {"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon"),
    ("feature", {"type": "Feature", "geometry": polygon(SQUARE)}, "unexpected member"),
    ("no-coords", {"type": "Polygon"}, "coordinates are required"),
    ("string-coord", polygon([[0, 0], ["1", 0], [1, 1], [0, 0]]), "got string"),
    ("bool-coord", polygon([[0, 0], [True, 0], [1, 1], [0, 0]]), "got boolean"),
    ("short-position", polygon([[0, 0], [1], [1, 1], [0, 0]]), "got 1 items"),
    ("shallow", polygon(*SQUARE), "one level too shallow"),
    ("empty", polygon(), "at least one linear ring"),
    ("multi-empty", {"type": "MultiPolygon", "coordinates": []}, "at least one polygon"),
    (
        "multi-overlap",
        {
            "type": "MultiPolygon",
            "coordinates": [
                [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]],
                [[[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]],
            ],
        },
        "not valid",
    ),
]


@pytest.mark.parametrize(("case", "geometry", "words"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_geometry_is_422_and_stores_nothing(
    client: TestClient,
    admin_headers: dict[str, str],
    db: SyncDb,
    case: str,
    geometry: Any,
    words: str,
) -> None:
    before = db.counts()
    response = client.put(
        f"/v1/territories/{case}", json={"name": case, "geometry": geometry}, headers=admin_headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert words in body["detail"]
    assert body["errors"][0]["loc"][:2] == ["body", "geometry"]
    assert db.counts() == before
    assert client.get(f"/v1/territories/{case}", headers=admin_headers).status_code == 404


def test_invalid_geometry_does_not_replace_a_stored_one(
    client: TestClient, admin_headers: dict[str, str], db: SyncDb
) -> None:
    good = {"name": "keep", "geometry": polygon(SQUARE)}
    assert client.put("/v1/territories/keep", json=good, headers=admin_headers).status_code == 201
    bowtie = polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]])
    response = client.put(
        "/v1/territories/keep", json={"name": "x", "geometry": bowtie}, headers=admin_headers
    )
    assert response.status_code == 422
    stored = client.get("/v1/territories/keep", headers=admin_headers).json()
    assert stored["name"] == "keep"
    assert stored["geometry"] == polygon(SQUARE)


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_non_finite_coordinates_from_raw_json(
    client: TestClient, admin_headers: dict[str, str], db: SyncDb, raw: bytes
) -> None:
    before = db.counts()
    body = (
        b'{"name": "n", "geometry": {"type": "Polygon", "coordinates": '
        b"[[[0, 0], [" + raw + b", 0], [1, 1], [0, 0]]]}}"
    )
    response = client.put(
        "/v1/territories/nonfinite",
        content=body,
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert "coordinates" in response.json()["detail"]
    assert db.counts() == before


@pytest.mark.parametrize("geometry", [None, "Polygon", 5, [1, 2]])
def test_geometry_must_be_an_object(
    client: TestClient, admin_headers: dict[str, str], geometry: Any
) -> None:
    response = client.put(
        "/v1/territories/notobj", json={"name": "n", "geometry": geometry}, headers=admin_headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:2] == ["body", "geometry"]


def test_geometry_at_the_vertex_limit_is_accepted(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    geometry = polygon(circle(MAX_VERTICES - 1))
    response = client.put(
        "/v1/territories/big", json={"name": "big", "geometry": geometry}, headers=admin_headers
    )
    assert response.status_code == 201, response.text[:500]
    assert len(response.json()["geometry"]["coordinates"][0]) == MAX_VERTICES


def test_geometry_member_with_lone_surrogate_is_422(
    client: TestClient, admin_headers: dict[str, str], db: SyncDb
) -> None:
    before = db.counts()
    raw = (
        b'{"name": "s", "geometry": {"type": "Polygon", "\\ud800": 1, "coordinates": '
        b"[[[0, 0], [1, 0], [1, 1], [0, 0]]]}}"
    )
    response = client.put(
        "/v1/territories/surrogate",
        content=raw,
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert "unexpected member" in response.json()["detail"]
    assert db.counts() == before
