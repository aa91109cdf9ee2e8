"""Keyset pagination of the master-data lists: 250 items, 3 pages, no duplicates, no gaps."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.pg import SyncDb

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[121.0, 31.0], [122.0, 31.0], [122.0, 32.0], [121.0, 32.0], [121.0, 31.0]]],
}


def gtin14(n: int) -> str:
    body = f"{n:013d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


@pytest.fixture(scope="module")
def seeded(db: SyncDb) -> None:
    """250 of each, inserted directly (the API path is covered elsewhere)."""
    db.execute(
        """
        INSERT INTO parties (id, kind, name, lat, lon)
        SELECT 'pg-' || lpad(i::text, 4, '0'), 'dealer', 'Dealer ' || i, 31, 121
        FROM generate_series(1, 250) AS i
        """
    )
    db.execute(
        """
        INSERT INTO territories (id, name, geometry, min_lon, min_lat, max_lon, max_lat)
        SELECT 'tg-' || i, 'T' || i, $1::jsonb, 121, 31, 122, 32
        FROM generate_series(1, 250) AS i
        """,
        __import__("json").dumps(SQUARE),
    )
    db.execute(
        """
        INSERT INTO products (gtin, name, unit_value, currency)
        SELECT g, 'P', 1, 'CNY' FROM unnest($1::text[]) AS g
        """,
        [gtin14(i) for i in range(1, 251)],
    )
    db.execute(
        """
        INSERT INTO party_territories (party_id, territory_id)
        SELECT 'pg-0001', 'tg-' || i FROM generate_series(1, 250) AS i
        """
    )


def walk(client: TestClient, headers: dict[str, str], path: str, key: str) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 100}
        if cursor is not None:
            params["cursor"] = cursor
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item[key] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 10, "pagination does not terminate"


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/v1/parties", "id"),
        ("/v1/territories", "id"),
        ("/v1/products", "gtin"),
        ("/v1/parties/pg-0001/territories", "territory_id"),
    ],
)
def test_walk_250_items_in_three_pages(
    client: TestClient, admin_headers: dict[str, str], path: str, key: str
) -> None:
    pages = walk(client, admin_headers, path, key)
    assert [len(p) for p in pages] == [100, 100, 50]
    flat = [k for p in pages for k in p]
    assert len(set(flat)) == 250
    assert flat == sorted(flat)


@pytest.mark.usefixtures("seeded")
def test_default_limit_and_bounds(client: TestClient, admin_headers: dict[str, str]) -> None:
    first = client.get("/v1/parties", headers=admin_headers).json()
    assert len(first["items"]) == 100
    assert first["next_cursor"]
    everything = client.get("/v1/parties?limit=1000", headers=admin_headers).json()
    assert len(everything["items"]) == 250
    assert everything["next_cursor"] is None
    for bad in ("0", "1001", "-1", "x", "1.5"):
        response = client.get(f"/v1/parties?limit={bad}", headers=admin_headers)
        assert response.status_code == 422, bad


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    "cursor",
    ["!!!", "abc", "W10", "ImEgYiI", "Ilx1MDAwMCI", "dHJ1ZQ", "x" * 600],
)
def test_bad_cursors_are_422(
    client: TestClient, admin_headers: dict[str, str], cursor: str
) -> None:
    for path in ("/v1/parties", "/v1/products", "/v1/territories", "/v1/parties/pg-0001/sanctions"):
        response = client.get(path, params={"cursor": cursor}, headers=admin_headers)
        assert response.status_code == 422, (path, cursor, response.text)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.usefixtures("seeded")
def test_cursor_of_the_wrong_kind_is_422(client: TestClient, admin_headers: dict[str, str]) -> None:
    number = "MTIz"  # 123: fine for the sanctions list, not for an id-keyed one
    assert client.get(f"/v1/parties?cursor={number}", headers=admin_headers).status_code == 422
    sanctions = client.get(f"/v1/parties/pg-0001/sanctions?cursor={number}", headers=admin_headers)
    assert sanctions.status_code == 200
    not_a_gtin = "InBnLTAwMDEi"  # "pg-0001"
    assert client.get(f"/v1/products?cursor={not_a_gtin}", headers=admin_headers).status_code == 422
