"""Master data through the real app and database: products, parties, territories,
authorizations, sanctions, roles and identifier rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.pg import SyncDb

PROBLEM = "application/problem+json"
Headers = dict[str, str]

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[121.0, 31.0], [122.0, 31.0], [122.0, 32.0], [121.0, 32.0], [121.0, 31.0]]],
}
# One valid GTIN of each length (check digits computed per GS1).
GTIN8 = "96385074"
GTIN12 = "036000291452"
GTIN13 = "4006381333931"
GTIN14 = "10614141000415"


def product(name: str = "Baijiu 500ml", value: Any = "12.50", **extra: Any) -> dict[str, Any]:
    return {"name": name, "unit_value": value, "currency": "CNY", **extra}


def party(kind: str = "dealer", parent_id: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "name": "Shanghai dealer",
        "location": {"lat": 31.23, "lon": 121.47},
        **extra,
    }
    if parent_id is not None:
        body["parent_id"] = parent_id
    return body


def assert_problem(response: Any, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for word in words:
        assert word in body["detail"], body
    return body


# ---------------------------------------------------------------- products


@pytest.mark.parametrize(
    ("gtin", "expected"),
    [
        (GTIN8, "000000" + GTIN8),
        (GTIN12, "00" + GTIN12),
        (GTIN13, "0" + GTIN13),
        (GTIN14, GTIN14),
    ],
)
def test_product_gtin_lengths_are_stored_as_gtin14(
    client: TestClient, admin_headers: Headers, db: SyncDb, gtin: str, expected: str
) -> None:
    created = client.put(f"/v1/products/{gtin}", json=product(), headers=admin_headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["gtin"] == expected
    assert body["unit_value"] == "12.50"
    assert body["currency"] == "CNY"
    assert body["inner_code_required"] is False
    assert db.fetchval("SELECT gtin FROM products WHERE gtin = $1", expected) == expected
    # any length finds it, and a second PUT (by the GTIN-14 form) replaces it
    assert client.get(f"/v1/products/{gtin}", headers=admin_headers).json()["gtin"] == expected
    replaced = client.put(
        f"/v1/products/{expected}",
        json=product(name="Renamed", value=7, inner_code_required=True),
        headers=admin_headers,
    )
    assert replaced.status_code == 200
    assert replaced.json()["name"] == "Renamed"
    assert replaced.json()["unit_value"] == "7.00"
    assert replaced.json()["inner_code_required"] is True
    assert replaced.json()["created_at"] == body["created_at"]
    assert db.fetchval("SELECT count(*) FROM products WHERE gtin = $1", expected) == 1


@pytest.mark.parametrize(
    ("given", "shown"),
    [("12.50", "12.50"), (12.5, "12.50"), ("0.1234", "0.1234"), (0, "0.00"), ("1e3", "1000.00")],
)
def test_unit_value_is_exact_decimal(
    client: TestClient, admin_headers: Headers, db: SyncDb, given: Any, shown: str
) -> None:
    response = client.put(
        f"/v1/products/{GTIN13}", json=product(value=given), headers=admin_headers
    )
    assert response.status_code in (200, 201), response.text
    assert response.json()["unit_value"] == shown
    stored = db.fetchval("SELECT unit_value::text FROM products WHERE gtin = $1", "0" + GTIN13)
    assert stored.rstrip("0").rstrip(".") == shown.rstrip("0").rstrip(".")


@pytest.mark.parametrize(
    ("raw_value", "word"),
    [
        ('"10000000000"', "unit_value"),  # numeric(14, 4) overflow
        ("1e20", "unit_value"),
        ('"0.00001"', "decimal places"),
        ('"-1"', "greater than or equal"),
        ('"NaN"', "finite"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ('"Infinity"', "finite"),
        ("true", "unit_value"),
        ('"12,50"', "unit_value"),
        ("null", "unit_value"),
        ('["1"]', "unit_value"),
    ],
)
def test_bad_unit_value_is_422(
    client: TestClient, admin_headers: Headers, db: SyncDb, raw_value: str, word: str
) -> None:
    before = db.counts()
    raw = '{"name": "x", "currency": "CNY", "unit_value": ' + raw_value + "}"
    response = client.put(
        f"/v1/products/{GTIN14}",
        content=raw.encode(),
        headers={**admin_headers, "content-type": "application/json"},
    )
    body = assert_problem(response, 422, word)
    assert body["errors"][0]["loc"][:2] == ["body", "unit_value"]
    assert db.counts() == before


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"currency": "cny"}, "currency"),
        ({"currency": "CNYY"}, "currency"),
        ({"currency": 156}, "currency"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "nul\x00byte"}, "name"),
        ({"name": 5}, "name"),
        ({"inner_code_required": "yes"}, "inner_code_required"),
        ({"inner_code_required": 1}, "inner_code_required"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_product_fields_are_422(
    client: TestClient, admin_headers: Headers, db: SyncDb, patch: dict[str, Any], field: str
) -> None:
    before = db.counts()
    response = client.put(
        f"/v1/products/{GTIN14}", json={**product(), **patch}, headers=admin_headers
    )
    body = assert_problem(response, 422, field)
    assert field in body["errors"][0]["loc"]
    assert db.counts() == before


def test_lone_surrogate_in_name_is_422(
    client: TestClient, admin_headers: Headers, db: SyncDb
) -> None:
    before = db.counts()
    raw = b'{"name": "bad \\ud800", "unit_value": "1", "currency": "CNY"}'
    response = client.put(
        f"/v1/products/{GTIN14}",
        content=raw,
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert_problem(response, 422, "name")
    assert db.counts() == before


def test_name_of_200_characters_is_fine(client: TestClient, admin_headers: Headers) -> None:
    name = "酒" * 200
    response = client.put("/v1/products/12345670", json=product(name=name), headers=admin_headers)
    assert response.status_code == 201
    assert response.json()["name"] == name


@pytest.mark.parametrize(
    "gtin",
    [
        "96385075",  # bad check digit
        "4006381333932",
        "10614141000416",
        "1234567",  # 7 digits
        "123456789",  # 9 digits
        "123456789012345",  # 15 digits
        "abcdefgh",
        "9638507４",  # full-width digit
        "0" * 65,
    ],
)
def test_bad_gtin_is_422(client: TestClient, admin_headers: Headers, db: SyncDb, gtin: str) -> None:
    before = db.counts()
    response = client.put(f"/v1/products/{gtin}", json=product(), headers=admin_headers)
    body = assert_problem(response, 422)
    assert "gtin" in body["errors"][0]["loc"]
    assert db.counts() == before
    assert client.get(f"/v1/products/{gtin}", headers=admin_headers).status_code == 422


def test_unknown_product_is_404(client: TestClient, admin_headers: Headers) -> None:
    assert_problem(client.get("/v1/products/00000000000000", headers=admin_headers), 404)


def test_malformed_json_is_422_problem(
    client: TestClient, admin_headers: Headers, db: SyncDb
) -> None:
    before = db.counts()
    for path in (f"/v1/products/{GTIN14}", "/v1/parties/p-json", "/v1/territories/t-json"):
        response = client.put(
            path,
            content=b'{"name": "x", ',
            headers={**admin_headers, "content-type": "application/json"},
        )
        body = assert_problem(response, 422)
        assert set(body) >= {"type", "title", "status", "detail", "errors"}
        # a JSON array or a bare string is not an object either
        not_object = client.put(path, json=["x"], headers=admin_headers)
        assert_problem(not_object, 422)
    assert db.counts() == before


# ---------------------------------------------------------------- parties


def test_party_create_replace_get_and_parent(
    client: TestClient, admin_headers: Headers, db: SyncDb
) -> None:
    created = client.put("/v1/parties/dealer-sh", json=party(), headers=admin_headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] == "dealer-sh"
    assert body["kind"] == "dealer"
    assert body["parent_id"] is None
    assert body["location"] == {"lat": 31.23, "lon": 121.47}
    assert body["suspended"] is False
    assert body["blacklisted"] is False
    assert body["suspension_reason"] is None

    sub = client.put(
        "/v1/parties/sub-dealer.pudong_1", json=party(parent_id="dealer-sh"), headers=admin_headers
    )
    assert sub.status_code == 201
    assert sub.json()["parent_id"] == "dealer-sh"

    replaced = client.put(
        "/v1/parties/dealer-sh",
        json=party(kind="retailer", name="Renamed", location={"lat": -33, "lon": 151}),
        headers=admin_headers,
    )
    assert replaced.status_code == 200
    assert replaced.json()["kind"] == "retailer"
    assert replaced.json()["name"] == "Renamed"
    got = client.get("/v1/parties/dealer-sh", headers=admin_headers).json()
    assert got == replaced.json()
    assert db.fetchval("SELECT count(*) FROM parties WHERE id = 'dealer-sh'") == 1


def test_unknown_parent_is_422_naming_parent_id(
    client: TestClient, admin_headers: Headers, db: SyncDb
) -> None:
    before = db.counts()
    response = client.put(
        "/v1/parties/orphan", json=party(parent_id="nobody"), headers=admin_headers
    )
    body = assert_problem(response, 422, "parent_id", "nobody")
    assert body["errors"][0]["loc"] == ["body", "parent_id"]
    assert db.counts() == before


def test_parent_cycles_are_refused(client: TestClient, admin_headers: Headers, db: SyncDb) -> None:
    assert client.put("/v1/parties/cy-a", json=party(), headers=admin_headers).status_code == 201
    b = client.put("/v1/parties/cy-b", json=party(parent_id="cy-a"), headers=admin_headers)
    assert b.status_code == 201
    c = client.put("/v1/parties/cy-c", json=party(parent_id="cy-b"), headers=admin_headers)
    assert c.status_code == 201
    before = db.counts()
    two = client.put("/v1/parties/cy-a", json=party(parent_id="cy-b"), headers=admin_headers)
    assert_problem(two, 422, "parent_id", "cycle")
    three = client.put("/v1/parties/cy-a", json=party(parent_id="cy-c"), headers=admin_headers)
    assert_problem(three, 422, "cycle")
    own = client.put("/v1/parties/cy-a", json=party(parent_id="cy-a"), headers=admin_headers)
    assert_problem(own, 422, "own parent")
    new_self = client.put("/v1/parties/cy-z", json=party(parent_id="cy-z"), headers=admin_headers)
    assert_problem(new_self, 422, "own parent")
    assert db.counts() == before
    assert db.fetchval("SELECT parent_id FROM parties WHERE id = 'cy-a'") is None
    # re-parenting without a cycle is fine
    moved = client.put("/v1/parties/cy-c", json=party(parent_id="cy-a"), headers=admin_headers)
    assert moved.status_code == 200


@pytest.mark.parametrize(
    "patch",
    [
        {"kind": "warehouse"},
        {"kind": None},
        {"location": {"lat": 91, "lon": 0}},
        {"location": {"lat": 0, "lon": -180.5}},
        {"location": {"lat": "31.2", "lon": 121}},
        {"location": {"lat": True, "lon": 121}},
        {"location": {"lat": 31}},
        {"location": {"lat": 31, "lon": 121, "alt": 3}},
        {"location": [31, 121]},
        {"parent_id": "a b"},
        {"parent_id": "x" * 65},
        {"name": ""},
        {"extra": 1},
    ],
)
def test_bad_party_bodies_are_422(
    client: TestClient, admin_headers: Headers, db: SyncDb, patch: dict[str, Any]
) -> None:
    before = db.counts()
    response = client.put("/v1/parties/bad-body", json={**party(), **patch}, headers=admin_headers)
    assert_problem(response, 422)
    assert db.counts() == before


def test_nan_location_is_422(client: TestClient, admin_headers: Headers, db: SyncDb) -> None:
    before = db.counts()
    raw = b'{"kind": "dealer", "name": "x", "location": {"lat": NaN, "lon": 1}}'
    response = client.put(
        "/v1/parties/nan-party",
        content=raw,
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert_problem(response, 422, "lat")
    assert db.counts() == before


@pytest.mark.parametrize(
    ("raw_id", "statuses"),
    [
        ("x" * 65, {422}),
        ("a%20b", {422}),
        ("a%2Fb", {404, 405, 422}),
        ("%C3%BC", {422}),
        ("a%00b", {422}),
        ("a*b", {422}),
        ("..%2F..", {404, 405, 422}),
        ("%2E%2E", {422}),  # "..": a dot-segment no normalising client could reach again
        ("%2E", {422}),
    ],
)
def test_bad_ids_in_paths_are_4xx(
    client: TestClient, admin_headers: Headers, db: SyncDb, raw_id: str, statuses: set[int]
) -> None:
    before = db.counts()
    calls = [
        client.put(f"/v1/parties/{raw_id}", json=party(), headers=admin_headers),
        client.get(f"/v1/parties/{raw_id}", headers=admin_headers),
        client.put(
            f"/v1/territories/{raw_id}",
            json={"name": "t", "geometry": SQUARE},
            headers=admin_headers,
        ),
        client.get(f"/v1/territories/{raw_id}", headers=admin_headers),
        client.put(f"/v1/parties/ok/territories/{raw_id}", json={}, headers=admin_headers),
        client.post(
            f"/v1/parties/{raw_id}/suspension", json={"reason": "r"}, headers=admin_headers
        ),
    ]
    for response in calls:
        assert response.status_code in statuses, (response.request.url, response.text)
        assert response.headers["content-type"] == PROBLEM
    assert db.counts() == before


def test_id_of_64_characters_and_all_allowed_symbols(
    client: TestClient, admin_headers: Headers
) -> None:
    long_id = "A-z_0.9" + "x" * 57
    assert len(long_id) == 64
    response = client.put(f"/v1/parties/{long_id}", json=party(), headers=admin_headers)
    assert response.status_code == 201
    assert client.get(f"/v1/parties/{long_id}", headers=admin_headers).json()["id"] == long_id


def test_unknown_party_is_404(client: TestClient, admin_headers: Headers) -> None:
    assert_problem(client.get("/v1/parties/nobody", headers=admin_headers), 404, "nobody")


def test_list_parties_filters_by_kind(client: TestClient, admin_headers: Headers) -> None:
    client.put("/v1/parties/kind-plant", json=party(kind="plant"), headers=admin_headers)
    client.put("/v1/parties/kind-retail", json=party(kind="retailer"), headers=admin_headers)
    plants = client.get("/v1/parties?kind=plant&limit=1000", headers=admin_headers).json()
    assert plants["items"]
    assert {p["kind"] for p in plants["items"]} == {"plant"}
    assert "kind-plant" in {p["id"] for p in plants["items"]}
    assert_problem(client.get("/v1/parties?kind=shop", headers=admin_headers), 422)


# ---------------------------------------------------------------- territories


def test_territory_create_replace_get_list(
    client: TestClient, admin_headers: Headers, db: SyncDb
) -> None:
    created = client.put(
        "/v1/territories/sh", json={"name": "Shanghai", "geometry": SQUARE}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["geometry"] == SQUARE
    assert body["bbox"] == [121.0, 31.0, 122.0, 32.0]
    row = db.fetch("SELECT min_lon, min_lat, max_lon, max_lat FROM territories WHERE id = 'sh'")
    assert tuple(row[0]) == (121.0, 31.0, 122.0, 32.0)

    multi = {
        "type": "MultiPolygon",
        "coordinates": [SQUARE["coordinates"], [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]],
    }
    replaced = client.put(
        "/v1/territories/sh", json={"name": "Shanghai+", "geometry": multi}, headers=admin_headers
    )
    assert replaced.status_code == 200
    assert replaced.json()["bbox"] == [0.0, 0.0, 122.0, 32.0]
    assert replaced.json()["geometry"]["type"] == "MultiPolygon"
    got = client.get("/v1/territories/sh", headers=admin_headers)
    assert got.json() == replaced.json()
    listed = client.get("/v1/territories", headers=admin_headers).json()
    assert "sh" in {t["id"] for t in listed["items"]}
    assert_problem(client.get("/v1/territories/none", headers=admin_headers), 404)


# ---------------------------------------------------------------- authorizations


def test_authorizations(client: TestClient, admin_headers: Headers, db: SyncDb) -> None:
    client.put(f"/v1/products/{GTIN8}", json=product(), headers=admin_headers)
    client.put(f"/v1/products/{GTIN12}", json=product(), headers=admin_headers)
    client.put("/v1/parties/auth-dealer", json=party(), headers=admin_headers)
    for tid in ("auth-t1", "auth-t2"):
        client.put(
            f"/v1/territories/{tid}", json={"name": tid, "geometry": SQUARE}, headers=admin_headers
        )
    path = "/v1/parties/auth-dealer/territories/auth-t1"

    everything = client.put(path, headers=admin_headers)  # no body at all: every product
    assert everything.status_code == 201, everything.text
    assert everything.json()["gtins"] is None
    null = client.put(path, json={"gtins": None}, headers=admin_headers)
    assert null.status_code == 200
    assert null.json()["gtins"] is None

    some = client.put(
        path, json={"gtins": [GTIN12, GTIN8, "000000" + GTIN8]}, headers=admin_headers
    )
    assert some.status_code == 200
    # normalized to GTIN-14, de-duplicated, sorted
    assert some.json()["gtins"] == ["00000096385074", "00036000291452"]
    assert client.get(path, headers=admin_headers).json() == some.json()

    other = client.put(
        "/v1/parties/auth-dealer/territories/auth-t2", json={}, headers=admin_headers
    )
    assert other.status_code == 201
    listed = client.get("/v1/parties/auth-dealer/territories", headers=admin_headers).json()
    assert [a["territory_id"] for a in listed["items"]] == ["auth-t1", "auth-t2"]
    assert listed["next_cursor"] is None

    before = db.counts()
    bad_digit = client.put(path, json={"gtins": [GTIN8, "96385075"]}, headers=admin_headers)
    body = assert_problem(bad_digit, 422)
    assert body["errors"][0]["loc"] == ["body", "gtins", 1]
    unknown = client.put(path, json={"gtins": [GTIN8, "24"]}, headers=admin_headers)
    body = assert_problem(unknown, 422)
    assert body["errors"][0]["loc"] == ["body", "gtins", 1]
    unknown = client.put(path, json={"gtins": ["00000000000024"]}, headers=admin_headers)
    body = assert_problem(unknown, 422, "00000000000024", "unknown product")
    assert body["errors"][0]["loc"] == ["body", "gtins", 0]
    assert_problem(client.put(path, json={"gtins": []}, headers=admin_headers), 422)
    assert_problem(client.put(path, json={"gtins": [8]}, headers=admin_headers), 422)
    assert_problem(client.put(path, json={"gtins": "all"}, headers=admin_headers), 422)
    assert_problem(client.put(path, json={"territory": "x"}, headers=admin_headers), 422)
    assert_problem(
        client.put("/v1/parties/nobody/territories/auth-t1", json={}, headers=admin_headers),
        404,
        "nobody",
    )
    assert_problem(
        client.put("/v1/parties/auth-dealer/territories/nowhere", json={}, headers=admin_headers),
        404,
        "nowhere",
    )
    assert db.counts() == before
    assert db.fetchval(
        "SELECT gtins FROM party_territories"
        " WHERE party_id = 'auth-dealer' AND territory_id = 'auth-t1'"
    ) == sorted(["00" + GTIN12, "000000" + GTIN8])

    assert client.delete(path, headers=admin_headers).status_code == 204
    assert_problem(client.delete(path, headers=admin_headers), 404)
    assert_problem(client.get(path, headers=admin_headers), 404)
    assert_problem(client.get("/v1/parties/nobody/territories", headers=admin_headers), 404)


# ---------------------------------------------------------------- sanctions


def test_sanctions_name_the_token_as_well_as_its_name(
    client: TestClient,
    admin_headers: Headers,
    make_token: Callable[..., Headers],
    db: SyncDb,
) -> None:
    """Found by a security review: an audit line named only `role:name`, and two tokens may
    share a name, so it could not say which person acted. It names the token too."""
    made = [
        client.post(
            "/v1/tokens", json={"role": "compliance", "name": "officer-li"}, headers=admin_headers
        ).json()
        for _ in range(2)
    ]
    first, second = ({"Authorization": f"Bearer {m['token']}"} for m in made)
    mine = [m["id"] for m in made]
    client.put("/v1/parties/twin-dealer", json=party(), headers=admin_headers)
    base = "/v1/parties/twin-dealer"
    assert client.post(f"{base}/suspension", json={"reason": "a"}, headers=first).is_success
    assert client.delete(f"{base}/suspension", headers=second).is_success
    history = client.get(f"{base}/sanctions", headers=first).json()["items"]
    assert [(s["actor"], s["actor_token_id"]) for s in history] == [
        ("compliance:officer-li", mine[0]),
        ("compliance:officer-li", mine[1]),
    ]
    assert mine[0] != mine[1]


def test_suspension_blacklist_and_history(
    client: TestClient,
    admin_headers: Headers,
    make_token: Callable[..., Headers],
    db: SyncDb,
) -> None:
    compliance = make_token("compliance", name="officer-wang")
    client.put("/v1/parties/sanc-dealer", json=party(), headers=admin_headers)
    base = "/v1/parties/sanc-dealer"

    assert_problem(client.delete(f"{base}/suspension", headers=compliance), 409, "not suspended")
    suspended = client.post(f"{base}/suspension", json={"reason": "diversion"}, headers=compliance)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["suspended"] is True
    assert suspended.json()["suspension_reason"] == "diversion"
    assert client.get(base, headers=admin_headers).json()["suspended"] is True
    # suspending again changes nothing and records nothing
    again = client.post(f"{base}/suspension", json={"reason": "again"}, headers=compliance)
    assert again.status_code == 200
    assert again.json()["suspension_reason"] == "diversion"
    # a PUT of the party does not lift the suspension
    client.put(base, json=party(name="Renamed"), headers=admin_headers)
    assert client.get(base, headers=admin_headers).json()["suspended"] is True

    lifted = client.delete(f"{base}/suspension", headers=admin_headers)
    assert lifted.status_code == 200
    assert lifted.json()["suspended"] is False
    assert lifted.json()["suspension_reason"] is None

    blacklisted = client.post(f"{base}/blacklist", json={"reason": "confirmed"}, headers=compliance)
    assert blacklisted.status_code == 200
    body = blacklisted.json()
    assert body["blacklisted"] is True
    assert body["blacklist_reason"] == "confirmed"
    assert body["suspended"] is True
    assert_problem(client.delete(f"{base}/suspension", headers=compliance), 409, "blacklisted")

    history = client.get(f"{base}/sanctions", headers=compliance).json()
    assert [(s["action"], s["reason"], s["actor"]) for s in history["items"]] == [
        ("suspend", "diversion", "compliance:officer-wang"),
        ("lift", None, "admin:" + history["items"][1]["actor"].split(":", 1)[1]),
        ("blacklist", "confirmed", "compliance:officer-wang"),
    ]
    assert history["items"][1]["actor"].startswith("admin:")
    assert db.fetchval("SELECT count(*) FROM party_sanctions WHERE party_id = 'sanc-dealer'") == 3
    # The record is append-only for the database owner too (it was only for the API).
    for statement in (
        "UPDATE party_sanctions SET actor = 'someone-else'",
        "DELETE FROM party_sanctions",
        "TRUNCATE party_sanctions CASCADE",
    ):
        with pytest.raises(Exception, match="append-only"):
            db.execute(statement)

    page = client.get(f"{base}/sanctions?limit=2", headers=compliance).json()
    assert len(page["items"]) == 2
    rest = client.get(
        f"{base}/sanctions?limit=2&cursor={page['next_cursor']}", headers=compliance
    ).json()
    assert [s["action"] for s in rest["items"]] == ["blacklist"]
    assert rest["next_cursor"] is None

    before = db.counts()
    for bad in ({}, {"reason": ""}, {"reason": 3}, {"reason": "x", "extra": 1}):
        assert_problem(client.post(f"{base}/suspension", json=bad, headers=compliance), 422)
    assert_problem(
        client.post("/v1/parties/nobody/suspension", json={"reason": "r"}, headers=compliance), 404
    )
    assert_problem(client.delete("/v1/parties/nobody/suspension", headers=compliance), 404)
    assert_problem(
        client.post("/v1/parties/nobody/blacklist", json={"reason": "r"}, headers=compliance), 404
    )
    assert_problem(client.get("/v1/parties/nobody/sanctions", headers=compliance), 404)
    assert_problem(client.get(f"{base}/sanctions?cursor=abc", headers=compliance), 422)
    assert db.counts() == before


# ---------------------------------------------------------------- roles


@pytest.fixture(scope="module")
def role_world(client: TestClient, admin_headers: Headers) -> None:
    client.put(f"/v1/products/{GTIN14}", json=product(), headers=admin_headers)
    client.put("/v1/parties/role-plant", json=party(kind="plant"), headers=admin_headers)
    client.put("/v1/parties/role-dealer", json=party(), headers=admin_headers)
    client.put(
        "/v1/territories/role-t", json={"name": "t", "geometry": SQUARE}, headers=admin_headers
    )
    client.put("/v1/parties/role-dealer/territories/role-t", json={}, headers=admin_headers)


READS = [
    f"/v1/products/{GTIN14}",
    "/v1/products",
    "/v1/parties/role-dealer",
    "/v1/parties",
    "/v1/territories/role-t",
    "/v1/territories",
    "/v1/parties/role-dealer/territories/role-t",
    "/v1/parties/role-dealer/territories",
    "/v1/parties/role-dealer/sanctions",
]
ADMIN_WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("PUT", f"/v1/products/{GTIN14}", product()),
    ("PUT", "/v1/parties/role-dealer", party()),
    ("PUT", "/v1/territories/role-t", {"name": "t", "geometry": SQUARE}),
    ("PUT", "/v1/parties/role-dealer/territories/role-t", {}),
    ("DELETE", "/v1/parties/role-dealer/territories/role-t", None),
]
SANCTIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/v1/parties/role-dealer/suspension", {"reason": "r"}),
    ("DELETE", "/v1/parties/role-dealer/suspension", None),
    ("POST", "/v1/parties/role-dealer/blacklist", {"reason": "r"}),
]


@pytest.mark.usefixtures("role_world")
@pytest.mark.parametrize("role", ["line", "logistics", None, "bad"])
def test_outsiders_are_refused_everything(
    client: TestClient, make_token: Callable[..., Headers], db: SyncDb, role: str | None
) -> None:
    if role in ("line", "logistics"):
        headers = make_token(role, party_id="role-plant")
        expected = 403
    elif role == "bad":
        headers = {"Authorization": "Bearer st_nope"}
        expected = 401
    else:
        headers = {}
        expected = 401
    before = db.counts()
    for path in READS:
        assert_problem(client.get(path, headers=headers), expected)
    for method, path, body in ADMIN_WRITES + SANCTIONS:
        response = client.request(method, path, json=body, headers=headers)
        assert_problem(response, expected)
    assert db.counts() == before


@pytest.mark.usefixtures("role_world")
def test_compliance_reads_and_sanctions_but_does_not_write(
    client: TestClient, make_token: Callable[..., Headers], db: SyncDb
) -> None:
    headers = make_token("compliance")
    for path in READS:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
    before = db.counts()
    for method, path, body in ADMIN_WRITES:
        assert_problem(client.request(method, path, json=body, headers=headers), 403)
    assert db.counts() == before
    suspend = client.post(
        "/v1/parties/role-dealer/suspension", json={"reason": "r"}, headers=headers
    )
    assert suspend.status_code == 200
    assert client.delete("/v1/parties/role-dealer/suspension", headers=headers).status_code == 200


@pytest.mark.usefixtures("role_world")
def test_admin_reads_everything(client: TestClient, admin_headers: Headers) -> None:
    for path in READS:
        assert client.get(path, headers=admin_headers).status_code == 200, path


def test_openapi_documents_master_data(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/products/{gtin}",
        "/v1/products",
        "/v1/parties/{party_id}",
        "/v1/parties",
        "/v1/territories/{territory_id}",
        "/v1/territories",
        "/v1/parties/{party_id}/territories/{territory_id}",
        "/v1/parties/{party_id}/territories",
        "/v1/parties/{party_id}/suspension",
        "/v1/parties/{party_id}/blacklist",
        "/v1/parties/{party_id}/sanctions",
    ):
        assert path in paths, path
    assert {"200", "201"} <= set(paths["/v1/products/{gtin}"]["put"]["responses"])
