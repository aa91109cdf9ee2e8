"""Tokens, probes, problem+json rendering and request ids through the real app and database."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient

from tests.pg import SyncDb

PROBLEM = "application/problem+json"


def test_probes(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert client.get("/openapi.json").json()["info"]["title"] == "Sealtrace"
    assert client.get("/docs").status_code == 200


def test_request_id_is_returned_and_echoed(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    # An unsafe incoming id is replaced, not reflected.
    assert (
        client.get("/healthz", headers={"X-Request-ID": "a b<c>"}).headers["x-request-id"]
        != "a b<c>"
    )


def test_framework_errors_are_problems(client: TestClient, admin_headers: dict[str, str]) -> None:
    missing = client.get("/v1/nothing-here", headers=admin_headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    assert missing.json()["status"] == 404
    wrong_method = client.patch("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == PROBLEM
    bad_json = client.post(
        "/v1/tokens",
        content=b'{"role": "admin", ',
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert bad_json.status_code == 422
    body = bad_json.json()
    assert bad_json.headers["content-type"] == PROBLEM
    assert set(body) >= {"type", "title", "status", "detail", "errors"}


def test_body_over_one_megabyte_is_413(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        "/v1/tokens",
        content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_missing_malformed_and_unknown_tokens_are_401(client: TestClient) -> None:
    for header in (
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer st_" + "0" * 32 + "_" + "A" * 43},
    ):
        response = client.get("/v1/products", headers=header)
        assert response.status_code == 401, header
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"] == "Bearer"


def test_token_lifecycle(client: TestClient, admin_headers: dict[str, str], db: SyncDb) -> None:
    created = client.post(
        "/v1/tokens", json={"role": "compliance", "name": "alice"}, headers=admin_headers
    )
    assert created.status_code == 201
    body = created.json()
    assert body["role"] == "compliance" and body["party_id"] is None
    secret = body["token"]
    # Only a hash is stored: the secret appears nowhere in the table.
    stored = db.fetchval("SELECT secret_hash FROM tokens WHERE id = $1", body["id"])
    assert len(stored) == 32 and secret.encode() not in stored
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/products", headers=headers).status_code == 200
    # Compliance may not create tokens.
    denied = client.post("/v1/tokens", json={"role": "admin", "name": "x"}, headers=headers)
    assert denied.status_code == 403
    assert client.delete(f"/v1/tokens/{body['id']}", headers=admin_headers).status_code == 204
    assert client.get("/v1/products", headers=headers).status_code == 401
    # Deleting again is idempotent; an unknown id is 404.
    assert client.delete(f"/v1/tokens/{body['id']}", headers=admin_headers).status_code == 204
    unknown = client.delete(
        "/v1/tokens/00000000-0000-0000-0000-000000000000", headers=admin_headers
    )
    assert unknown.status_code == 404


def test_party_bound_roles_need_a_party(
    client: TestClient, admin_headers: dict[str, str], db: SyncDb
) -> None:
    dealer = {"kind": "dealer", "name": "D", "location": {"lat": 31, "lon": 121}}
    assert client.put("/v1/parties/tok-any", json=dealer, headers=admin_headers).is_success
    before = db.counts()
    for body in (
        {"role": "line", "name": "l1"},
        {"role": "logistics", "name": "g1"},
        {"role": "logistics", "name": "g1", "party_id": "no-such-party"},
        {"role": "compliance", "name": "c1", "party_id": "tok-any"},  # stored, unused: was 201
        {"role": "admin", "name": "a1", "party_id": "tok-any"},
        {"role": "superuser", "name": "x"},
        {"role": "admin", "name": "bad name"},
        {"role": "admin", "name": "x" * 65},
        {"role": "admin", "name": "x", "extra": 1},
    ):
        response = client.post("/v1/tokens", json=body, headers=admin_headers)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == PROBLEM
    assert db.counts() == before


def test_line_token_must_be_bound_to_a_plant(
    client: TestClient,
    admin_headers: dict[str, str],
    make_token: Callable[..., dict[str, str]],
) -> None:
    dealer = {"kind": "dealer", "name": "D", "location": {"lat": 31.2, "lon": 121.4}}
    assert client.put("/v1/parties/tok-dealer", json=dealer, headers=admin_headers).status_code in (
        200,
        201,
    )
    response = client.post(
        "/v1/tokens",
        json={"role": "line", "name": "l", "party_id": "tok-dealer"},
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert make_token("logistics", "tok-dealer")
