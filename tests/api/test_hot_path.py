"""The hot-path dispatch (scan_api/http/hot.py) answers exactly as the ordinary route would."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from scan_api.http.hot import lean_handlers
from scan_api.scans.router import hot as scans_hot_router
from scan_api.verify.router import router as verify_router
from tests.pg import SyncDb
from tests.world import World, now, scan_body

PROBLEM = "application/problem+json"


def _commission(world: World, who: str) -> Any:
    """A freshly issued code commissioned through POST /v1/scans with `who`'s headers."""
    [item] = world.issue(1)
    return world.scan(who, item["payload"], "commission")


def test_the_table_holds_the_two_lean_routes() -> None:
    table = lean_handlers([scans_hot_router, verify_router])
    assert set(table) == {("POST", "/v1/scans"), ("POST", "/v1/verify")}


def test_hot_requests_never_reach_the_router(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the dispatch did not serve them, a broken router would fail these requests."""

    [item] = world.issue(1)

    async def broken(*args: object) -> None:
        raise AssertionError("the router was asked for a hot path")

    monkeypatch.setattr(type(client.app.router), "__call__", broken)  # type: ignore[attr-defined]
    assert world.ok("line", item["payload"], "commission")["verdict"] == "genuine"
    answer = client.post("/v1/verify", json={"payload": item["payload"]})
    assert answer.status_code == 200 and answer.json()["verdict"] == "genuine"
    assert client.get("/healthz").status_code == 500  # the ordinary path did use the router


def test_hot_answers_carry_the_request_id(world: World) -> None:
    world.tokens["line-r-1"] = {**world.tokens["line"], "X-Request-ID": "r-1"}
    response = _commission(world, "line-r-1")
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "r-1"


def test_bad_json_is_a_422_problem_and_stores_nothing(
    client: TestClient, world: World, db: SyncDb
) -> None:
    before = db.fetchval("SELECT count(*) FROM scan_events")
    for body in (b"{not json", b'{"payload": 5}', b"[]"):
        response = client.post(
            "/v1/scans",
            content=body,
            headers={**world.tokens["plant"], "content-type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"][0]["loc"][0] == "body"
        assert response.headers["x-request-id"]
    assert db.fetchval("SELECT count(*) FROM scan_events") == before


@pytest.mark.parametrize("path", ["/v1/scans", "/v1/scans/batch"])
def test_scan_bodies_not_sent_as_json_are_415_on_both_endpoints(
    client: TestClient, world: World, db: SyncDb, path: str
) -> None:
    """Found by a live review: a form or text/plain body was a scan to the single endpoint
    and a 422 "Input should be a valid dictionary" to the batch one."""
    [item] = world.issue(1)
    scan = scan_body(item["payload"], "commission")
    body = orjson.dumps(scan if path == "/v1/scans" else {"scans": [scan]})
    before = db.counts()
    for media_type in ("application/x-www-form-urlencoded", "text/plain", None):
        headers = dict(world.tokens["line"])
        if media_type:
            headers["content-type"] = media_type
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == 415, (media_type, response.text)
        assert response.headers["content-type"] == PROBLEM
    assert db.counts() == before
    typed = {**world.tokens["line"], "content-type": "application/json; charset=utf-8"}
    assert client.post(path, content=body, headers=typed).is_success
    # A bad token is a 401 whatever the body (api.md), its media type too (review).
    forged = {"authorization": "Bearer nonsense-token", "content-type": "text/plain"}
    assert client.post(path, content=body, headers=forged).status_code == 401


@pytest.mark.parametrize("path", ["/v1/scans", "/v1/scans/batch", "/v1/verify"])
def test_scan_bodies_are_read_as_utf8_json_alike_on_every_endpoint(
    client: TestClient, world: World, db: SyncDb, path: str
) -> None:
    """Found by a live review: a UTF-8 BOM or a UTF-16 body was read by the batch endpoint
    and refused by the single one. Now a BOM is dropped and UTF-16 refused, everywhere."""
    [item] = world.issue(1)
    scan = scan_body(item["payload"], "commission")
    body = {"payload": item["payload"]} if path == "/v1/verify" else scan
    if path.endswith("batch"):
        body = {"scans": [scan]}
    text = orjson.dumps(body).decode()
    headers = {**world.tokens["line"], "content-type": "application/json"}
    before = db.counts()
    for encoding in ("utf-16", "utf-16-le", "utf-32"):
        refused = client.post(path, content=text.encode(encoding), headers=headers)
        assert refused.status_code == 422, (encoding, refused.text)
        assert refused.headers["content-type"] == PROBLEM
    assert db.counts() == before
    accepted = client.post(path, content=b"\xef\xbb\xbf" + text.encode(), headers=headers)
    assert accepted.is_success, accepted.text


def test_a_batch_orjson_refuses_is_read_as_before(world: World, db: SyncDb) -> None:
    """The batch route parses with orjson (scan_api/http/lean.py, OrjsonBodyRoute) and leaves
    what orjson refuses to the standard parser: a NaN latitude is still that scan's own
    rejection, and the batch's other scan is stored."""
    good, bad = world.issue(2)
    scans = [
        scan_body(good["payload"], "commission"),
        scan_body(bad["payload"], "commission", location={"lat": 1.0, "lon": 2.0}),
    ]
    text = orjson.dumps({"scans": scans}).decode().replace('"lat":1.0', '"lat":NaN')
    headers = {**world.tokens["line"], "content-type": "application/json"}
    response = world.client.post("/v1/scans/batch", content=text.encode(), headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected"]
    assert results[1]["error"]["status"] == 422
    stored = db.fetchval(
        "SELECT count(*) FROM scan_events WHERE code = ANY($1)", [good["code"], bad["code"]]
    )
    assert stored == 1


def test_domain_errors_are_problems(client: TestClient, world: World) -> None:
    scan = {
        "event_id": str(uuid.uuid4()),
        "payload": "x",
        "checkpoint": "ship",
        "scanned_at": now().isoformat(),
    }
    unauthenticated = client.post("/v1/scans", json=scan)
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["content-type"] == PROBLEM
    # Without a token the body is not even read: 401 for a bad one too, as on the batch route.
    for path, body in (("/v1/scans", {"nonsense": 1}), ("/v1/scans/batch", {"scans": 5})):
        assert client.post(path, json=body).status_code == 401, path
    missing_consignee = client.post("/v1/scans", json=scan, headers=world.tokens["plant"])
    assert missing_consignee.status_code == 422
    assert missing_consignee.headers["content-type"] == PROBLEM


def test_a_body_over_one_megabyte_is_413_before_dispatch(client: TestClient, world: World) -> None:
    response = client.post(
        "/v1/scans",
        content=b"{" + b" " * (1024 * 1024 + 10) + b"}",
        headers={**world.tokens["plant"], "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def _chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """Sent without a Content-Length (chunked), so the limit must be found while reading."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize("path", ["/v1/scans", "/v1/verify", "/v1/scans/batch"])
def test_a_chunked_body_over_one_megabyte_is_413(
    client: TestClient, world: World, db: SyncDb, path: str
) -> None:
    before = db.counts()
    response = client.post(
        path,
        content=_chunks(b"{" + b" " * (1024 * 1024 + 10) + b"}"),
        headers={**world.tokens["plant"], "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert db.counts() == before


def test_a_chunked_body_within_the_limit_is_served(client: TestClient, world: World) -> None:
    [item] = world.issue(1)
    scan = scan_body(item["payload"], "commission")
    response = client.post(
        "/v1/scans",
        content=_chunks(orjson.dumps(scan), size=17),
        headers={**world.tokens["line"], "content-type": "application/json"},
    )
    assert response.status_code == 201, response.text


def test_an_unexpected_error_is_a_500_problem(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    batcher = client.app.state.scan_batcher  # type: ignore[attr-defined]

    async def explode(job: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(batcher, "submit", explode)
    [item] = world.issue(1)
    response = world.scan("line", item["payload"], "commission")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "boom" not in response.text


def test_other_methods_and_paths_take_the_ordinary_route(client: TestClient) -> None:
    assert client.get("/v1/scans").status_code == 405
    slash = client.post("/v1/scans/", json={}, follow_redirects=False)
    assert slash.status_code == 307  # FastAPI's router answered, not the hot lane
    assert slash.headers["location"].endswith("/v1/scans")


def _line_token(world: World, admin_headers: dict[str, str], name: str) -> str:
    """A new line token of the plant, usable as `world.scan(name, …)`; returns its id."""
    made = world.client.post(
        "/v1/tokens",
        json={"role": "line", "name": name, "party_id": "plant"},
        headers=admin_headers,
    ).json()
    world.tokens[name] = {"Authorization": f"Bearer {made['token']}"}
    return str(made["id"])


def test_a_revoked_scanner_token_is_refused_at_once(
    client: TestClient, world: World, admin_headers: dict[str, str]
) -> None:
    """Scan groups cache accepted tokens for a second; revoking here forgets them at once."""
    token_id = _line_token(world, admin_headers, "to-revoke")
    assert _commission(world, "to-revoke").status_code == 201  # now cached
    assert client.delete(f"/v1/tokens/{token_id}", headers=admin_headers).status_code == 204
    assert _commission(world, "to-revoke").status_code == 401


def test_a_revocation_elsewhere_takes_effect_within_a_second(
    world: World, admin_headers: dict[str, str], db: SyncDb
) -> None:
    token_id = _line_token(world, admin_headers, "revoked-elsewhere")
    assert _commission(world, "revoked-elsewhere").status_code == 201
    # Another process (the CLI, a second API worker) revokes it: this one's cache still holds
    # it for at most token_cache_s (1 s).
    db.execute("UPDATE tokens SET revoked_at = now() WHERE id = $1", uuid.UUID(token_id))
    time.sleep(1.1)
    assert _commission(world, "revoked-elsewhere").status_code == 401
