"""Every endpoint × every role (and no token, and a revoked token) → exactly api.md's status.

The table below must name every route the app serves: a new endpoint without a row fails.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from tests.pg import SyncDb

GTIN = "05901234123457"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[120.0, 30.0], [121.0, 30.0], [121.0, 31.0], [120.0, 31.0], [120.0, 30.0]]],
}
ROLES = ("admin", "compliance", "line", "logistics", "none", "revoked")
Headers = dict[str, str]
counter = itertools.count()


@dataclass
class Ctx:
    client: TestClient
    admin: Headers
    batch_id: str
    code: str
    line_auth: str = ""
    alert_id: str = ""

    def fresh_party(self, kind: str = "dealer") -> str:
        party_id = f"p-{next(counter)}"
        body = {"kind": kind, "name": party_id, "location": {"lat": 30.5, "lon": 120.5}}
        assert self.client.put(f"/v1/parties/{party_id}", json=body, headers=self.admin).is_success
        return party_id


Call = Callable[[Ctx, Headers], httpx.Response]


def _put_auth(c: Ctx, h: Headers) -> httpx.Response:
    return c.client.put(f"/v1/parties/{c.fresh_party()}/territories/t-m", json={}, headers=h)


def _delete_auth(c: Ctx, h: Headers) -> httpx.Response:
    party = c.fresh_party()
    assert c.client.put(f"/v1/parties/{party}/territories/t-m", json={}, headers=c.admin).is_success
    return c.client.delete(f"/v1/parties/{party}/territories/t-m", headers=h)


def _lift(c: Ctx, h: Headers) -> httpx.Response:
    party = c.fresh_party()
    body = {"reason": "audit"}
    assert c.client.post(f"/v1/parties/{party}/suspension", json=body, headers=c.admin).is_success
    return c.client.delete(f"/v1/parties/{party}/suspension", headers=h)


def _delete_token(c: Ctx, h: Headers) -> httpx.Response:
    body = {"role": "compliance", "name": f"t{next(counter)}"}
    token_id = c.client.post("/v1/tokens", json=body, headers=c.admin).json()["id"]
    return c.client.delete(f"/v1/tokens/{token_id}", headers=h)


def _issue(c: Ctx, h: Headers) -> httpx.Response:
    body = {"gtin": GTIN, "lot": "M1", "count": 2, "plant_id": "plant-m"}
    return c.client.post("/v1/code-batches", json=body, headers=h)


def _inner_codes(c: Ctx, h: Headers) -> httpx.Response:
    """A fresh batch of the line's plant each time: inner codes are written once."""
    batch = _issue(c, c.admin).json()
    codes = c.client.get(f"/v1/code-batches/{batch['batch_id']}/codes", headers=c.admin)
    code = codes.text.split('"code":"')[1].split('"')[0]
    body = {"inner_codes": [{"code": code, "pin": "AB12CD34"}]}
    return c.client.put(f"/v1/code-batches/{batch['batch_id']}/inner-codes", json=body, headers=h)


def _scan_body(c: Ctx, h: Headers) -> dict[str, object]:
    """A scan each role could make: commission for the line, dealer_receive for the dealer."""
    batch = _issue(c, c.admin).json()
    codes = c.client.get(f"/v1/code-batches/{batch['batch_id']}/codes", headers=c.admin)
    payload = codes.text.split('"payload":"')[1].split('"')[0]
    is_line = h.get("Authorization") == c.line_auth
    return {
        "event_id": str(uuid.uuid4()),
        "payload": payload,
        "checkpoint": "commission" if is_line else "dealer_receive",
        "scanned_at": datetime.now(UTC).isoformat(),
    }


def _scan(c: Ctx, h: Headers) -> httpx.Response:
    return c.client.post("/v1/scans", json=_scan_body(c, h), headers=h)


def _scan_batch(c: Ctx, h: Headers) -> httpx.Response:
    return c.client.post("/v1/scans/batch", json={"scans": [_scan_body(c, h)]}, headers=h)


OK, CREATED, GONE = 200, 201, 204
ADMIN_WRITES = {"admin": (OK, CREATED), "compliance": 403, "line": 403, "logistics": 403}
READS = {"admin": OK, "compliance": OK, "line": 403, "logistics": 403}
SANCTIONS = {"admin": OK, "compliance": OK, "line": 403, "logistics": 403}
CODE_READS = {"admin": OK, "compliance": OK, "line": OK, "logistics": 403}
PUBLIC = {"admin": OK, "compliance": OK, "line": OK, "logistics": OK, "none": OK, "revoked": OK}

# (method, path) -> (how to call it, status per role; none and revoked get 401 unless named)
MATRIX: dict[tuple[str, str], tuple[Call, dict[str, object]]] = {
    ("GET", "/healthz"): (lambda c, h: c.client.get("/healthz", headers=h), PUBLIC),
    ("GET", "/readyz"): (lambda c, h: c.client.get("/readyz", headers=h), PUBLIC),
    ("POST", "/v1/tokens"): (
        lambda c, h: c.client.post(
            "/v1/tokens", json={"role": "compliance", "name": f"n{next(counter)}"}, headers=h
        ),
        {"admin": CREATED, "compliance": 403, "line": 403, "logistics": 403},
    ),
    ("DELETE", "/v1/tokens/{token_id}"): (
        _delete_token,
        {"admin": GONE, "compliance": 403, "line": 403, "logistics": 403},
    ),
    ("PUT", "/v1/products/{gtin}"): (
        lambda c, h: c.client.put(
            f"/v1/products/{GTIN}",
            json={"name": "Tea", "unit_value": "1.00", "currency": "CNY"},
            headers=h,
        ),
        ADMIN_WRITES,
    ),
    ("GET", "/v1/products/{gtin}"): (
        lambda c, h: c.client.get(f"/v1/products/{GTIN}", headers=h),
        READS,
    ),
    ("GET", "/v1/products"): (lambda c, h: c.client.get("/v1/products", headers=h), READS),
    ("PUT", "/v1/parties/{party_id}"): (
        lambda c, h: c.client.put(
            f"/v1/parties/q-{next(counter)}",
            json={"kind": "retailer", "name": "R", "location": {"lat": 1, "lon": 2}},
            headers=h,
        ),
        ADMIN_WRITES,
    ),
    ("GET", "/v1/parties/{party_id}"): (
        lambda c, h: c.client.get("/v1/parties/plant-m", headers=h),
        READS,
    ),
    ("GET", "/v1/parties"): (lambda c, h: c.client.get("/v1/parties", headers=h), READS),
    ("PUT", "/v1/territories/{territory_id}"): (
        lambda c, h: c.client.put(
            f"/v1/territories/t-{next(counter)}", json={"name": "T", "geometry": SQUARE}, headers=h
        ),
        ADMIN_WRITES,
    ),
    ("GET", "/v1/territories/{territory_id}"): (
        lambda c, h: c.client.get("/v1/territories/t-m", headers=h),
        READS,
    ),
    ("GET", "/v1/territories"): (lambda c, h: c.client.get("/v1/territories", headers=h), READS),
    ("PUT", "/v1/parties/{party_id}/territories/{territory_id}"): (_put_auth, ADMIN_WRITES),
    ("GET", "/v1/parties/{party_id}/territories/{territory_id}"): (
        lambda c, h: c.client.get("/v1/parties/dealer-m/territories/t-m", headers=h),
        READS,
    ),
    ("DELETE", "/v1/parties/{party_id}/territories/{territory_id}"): (
        _delete_auth,
        {"admin": GONE, "compliance": 403, "line": 403, "logistics": 403},
    ),
    ("GET", "/v1/parties/{party_id}/territories"): (
        lambda c, h: c.client.get("/v1/parties/dealer-m/territories", headers=h),
        READS,
    ),
    ("POST", "/v1/parties/{party_id}/suspension"): (
        lambda c, h: c.client.post(
            f"/v1/parties/{c.fresh_party()}/suspension", json={"reason": "r"}, headers=h
        ),
        SANCTIONS,
    ),
    ("DELETE", "/v1/parties/{party_id}/suspension"): (_lift, SANCTIONS),
    ("POST", "/v1/parties/{party_id}/blacklist"): (
        lambda c, h: c.client.post(
            f"/v1/parties/{c.fresh_party()}/blacklist", json={"reason": "r"}, headers=h
        ),
        SANCTIONS,
    ),
    ("GET", "/v1/parties/{party_id}/sanctions"): (
        lambda c, h: c.client.get("/v1/parties/dealer-m/sanctions", headers=h),
        READS,
    ),
    ("POST", "/v1/code-batches"): (
        _issue,
        {"admin": CREATED, "compliance": 403, "line": CREATED, "logistics": 403},
    ),
    ("GET", "/v1/code-batches/{batch_id}"): (
        lambda c, h: c.client.get(f"/v1/code-batches/{c.batch_id}", headers=h),
        CODE_READS,
    ),
    ("PUT", "/v1/code-batches/{batch_id}/inner-codes"): (
        _inner_codes,
        {"admin": OK, "compliance": 403, "line": OK, "logistics": 403},
    ),
    ("GET", "/v1/code-batches/{batch_id}/codes"): (
        lambda c, h: c.client.get(f"/v1/code-batches/{c.batch_id}/codes", headers=h),
        CODE_READS,
    ),
    ("GET", "/v1/codes/{code}/qr.png"): (
        lambda c, h: c.client.get(f"/v1/codes/{c.code}/qr.png", headers=h),
        CODE_READS,
    ),
    ("GET", "/v1/codes/{code}/qr.svg"): (
        lambda c, h: c.client.get(f"/v1/codes/{c.code}/qr.svg", headers=h),
        CODE_READS,
    ),
    ("POST", "/v1/scans"): (
        _scan,
        {"admin": 403, "compliance": 403, "line": CREATED, "logistics": CREATED},
    ),
    ("POST", "/v1/scans/batch"): (
        _scan_batch,
        {"admin": 403, "compliance": 403, "line": OK, "logistics": OK},
    ),
    ("GET", "/v1/codes/{code}/trace"): (
        lambda c, h: c.client.get(f"/v1/codes/{c.code}/trace", headers=h),
        # Logistics sees only codes its party held: dealer-m never held this one.
        {"admin": OK, "compliance": OK, "line": 403, "logistics": 404},
    ),
    ("POST", "/v1/verify"): (
        lambda c, h: c.client.post(
            "/v1/verify", json={"payload": "https://x.example/01/1"}, headers=h
        ),
        PUBLIC,  # consumers have no token; a token sent along is simply ignored
    ),
    ("GET", "/v1/alerts"): (lambda c, h: c.client.get("/v1/alerts", headers=h), READS),
    ("GET", "/v1/alerts/counts"): (
        lambda c, h: c.client.get("/v1/alerts/counts", headers=h),
        READS,
    ),
    ("GET", "/v1/alerts/{alert_id}"): (
        lambda c, h: c.client.get(f"/v1/alerts/{c.alert_id}", headers=h),
        READS,
    ),
    ("POST", "/v1/alerts/{alert_id}/actions"): (
        lambda c, h: c.client.post(
            f"/v1/alerts/{c.alert_id}/actions", json={"action": "comment", "note": "n"}, headers=h
        ),
        READS,
    ),
    ("GET", "/v1/me"): (
        lambda c, h: c.client.get("/v1/me", headers=h),
        {"admin": OK, "compliance": OK, "line": OK, "logistics": OK},
    ),
    ("GET", "/v1/me/ship-targets"): (
        lambda c, h: c.client.get("/v1/me/ship-targets", headers=h),
        {"admin": OK, "compliance": OK, "line": 403, "logistics": OK},
    ),
    ("GET", "/v1/stats/verifications"): (
        lambda c, h: c.client.get("/v1/stats/verifications", headers=h),
        READS,
    ),
    ("GET", "/.well-known/sealtrace/keys.json"): (
        lambda c, h: c.client.get("/.well-known/sealtrace/keys.json", headers=h),
        PUBLIC,
    ),
}


def served_routes(client: TestClient) -> set[tuple[str, str]]:
    """Every operation in the served OpenAPI document (the public contract)."""
    paths = client.get("/openapi.json").json()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


@pytest.fixture(scope="module")
def ctx(client: TestClient, admin_headers: Headers, db: SyncDb) -> Ctx:
    c = client
    assert c.put(
        f"/v1/products/{GTIN}",
        json={"name": "Tea", "unit_value": "1.00", "currency": "CNY"},
        headers=admin_headers,
    ).is_success
    for party, kind in (("plant-m", "plant"), ("dealer-m", "dealer")):
        body = {"kind": kind, "name": party, "location": {"lat": 30.5, "lon": 120.5}}
        assert c.put(f"/v1/parties/{party}", json=body, headers=admin_headers).is_success
    body = {"name": "T", "geometry": SQUARE}
    assert c.put("/v1/territories/t-m", json=body, headers=admin_headers).is_success
    assert c.put("/v1/parties/dealer-m/territories/t-m", json={}, headers=admin_headers).is_success
    batch = _issue(Ctx(c, admin_headers, "", ""), admin_headers).json()
    code = c.get(f"/v1/code-batches/{batch['batch_id']}/codes", headers=admin_headers)
    alert_id = str(uuid.uuid4())
    db.execute(
        """INSERT INTO alerts (id, type, severity, reason, summary, incident_key, first_seen,
                               last_seen, window_s)
           VALUES ($1::uuid, 'counterfeit', 'high', 'bad_signature', 's', 'k', now(), now(), 60)""",
        alert_id,
    )
    code_value = code.text.split('"code":"')[1].split('"')[0]
    return Ctx(c, admin_headers, batch["batch_id"], code_value, alert_id=alert_id)


@pytest.fixture(scope="module")
def role_headers(
    ctx: Ctx, make_token: Callable[..., Headers], admin_headers: Headers
) -> dict[str, Headers]:
    revoked = ctx.client.post(
        "/v1/tokens", json={"role": "admin", "name": "to-revoke"}, headers=admin_headers
    ).json()
    assert (
        ctx.client.delete(f"/v1/tokens/{revoked['id']}", headers=admin_headers).status_code == 204
    )
    line = make_token("line", "plant-m")
    ctx.line_auth = line["Authorization"]
    return {
        "admin": admin_headers,
        "compliance": make_token("compliance"),
        "line": line,
        "logistics": make_token("logistics", "dealer-m"),
        "none": {},
        "revoked": {"Authorization": f"Bearer {revoked['token']}"},
    }


def test_matrix_names_every_served_route(client: TestClient) -> None:
    assert served_routes(client) == set(MATRIX)


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
@pytest.mark.parametrize("role", ROLES)
def test_role_gets_exactly_the_documented_status(
    endpoint: tuple[str, str], role: str, ctx: Ctx, role_headers: dict[str, Headers]
) -> None:
    call, expected_by_role = MATRIX[endpoint]
    expected = expected_by_role.get(role, 401)
    response = call(ctx, role_headers[role])
    allowed = expected if isinstance(expected, tuple) else (expected,)
    assert response.status_code in allowed, (role, endpoint, response.text[:300])
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
