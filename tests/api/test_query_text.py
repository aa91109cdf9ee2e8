"""Query parameters and cursors that PostgreSQL cannot hold are a 422, never a 500.

Found by a security review: a NUL in `?code=` or `?q=`, or in a cursor, reached a query as
it was and came back a 500; so did a cursor time with no UTC equivalent.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import orjson
import pytest
from starlette.testclient import TestClient


def _cursor(key: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


@pytest.fixture(scope="module")
def shipper(
    client: TestClient, admin_headers: dict[str, str], make_token: Callable[..., dict[str, str]]
) -> dict[str, str]:
    body = {"kind": "dealer", "name": "Query dealer", "location": {"lat": 31.2, "lon": 121.4}}
    assert client.put("/v1/parties/q-dealer", json=body, headers=admin_headers).is_success
    return make_token("logistics", "q-dealer")


@pytest.mark.parametrize(
    "query",
    [
        {"code": "\x00a"},
        {"cursor": _cursor(["0001-01-01T00:00:00+14:00", "00000000-0000-0000-0000-000000000000"])},
        {"cursor": _cursor(["\x00", "00000000-0000-0000-0000-000000000000"])},
    ],
    ids=["nul-code", "time-out-of-range", "nul-in-cursor"],
)
def test_alert_lists_refuse_unstorable_queries(
    client: TestClient, admin_headers: dict[str, str], query: dict[str, str]
) -> None:
    response = client.get("/v1/alerts", params=query, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "query", [{"q": "\x00"}, {"cursor": _cursor("\x00")}], ids=["nul-search", "nul-cursor"]
)
def test_ship_targets_refuse_unstorable_queries(
    client: TestClient, shipper: dict[str, str], query: dict[str, str]
) -> None:
    response = client.get("/v1/me/ship-targets", params=query, headers=shipper)
    assert response.status_code == 422, response.text
    assert response.json()["status"] == 422


def test_an_ordinary_search_still_answers(client: TestClient, shipper: dict[str, str]) -> None:
    assert client.get("/v1/me/ship-targets", params={"q": "dealer"}, headers=shipper).is_success
