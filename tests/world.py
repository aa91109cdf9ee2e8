"""A small brand world through the public API, shared by the scan, verify and trace tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from starlette.testclient import TestClient

GTIN = "05901234123457"
Headers = dict[str, str]

# Shanghai-ish and Hangzhou-ish squares, [lon, lat].
SH = [[120.8, 30.7], [122.0, 30.7], [122.0, 31.9], [120.8, 31.9], [120.8, 30.7]]
HZ = [[119.5, 29.8], [120.6, 29.8], [120.6, 30.6], [119.5, 30.6], [119.5, 29.8]]

PARTIES: dict[str, dict[str, Any]] = {
    "plant": {"kind": "plant", "name": "Plant", "location": {"lat": 31.30, "lon": 120.60}},
    "dealer-sh": {"kind": "dealer", "name": "SH dealer", "location": {"lat": 31.23, "lon": 121.47}},
    "dealer-hz": {"kind": "dealer", "name": "HZ dealer", "location": {"lat": 30.27, "lon": 120.15}},
    "store-sh": {
        "kind": "retailer",
        "name": "SH store",
        "parent_id": "dealer-sh",
        "location": {"lat": 31.20, "lon": 121.44},
    },
    "store-hz": {
        "kind": "retailer",
        "name": "HZ store",
        "parent_id": "dealer-hz",
        "location": {"lat": 30.25, "lon": 120.17},
    },
}


def tamper(payload: str, position: int = -5) -> str:
    """The payload with one signature character changed."""
    chars = list(payload)
    chars[position] = "B" if chars[position] != "B" else "C"
    return "".join(chars)


def now() -> datetime:
    return datetime.now(UTC)


def scan_body(
    payload: str, checkpoint: str, at: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    """A scan as POST /v1/scans takes it, with a fresh event_id."""
    return {
        "event_id": str(uuid.uuid4()),
        "payload": payload,
        "checkpoint": checkpoint,
        "scanned_at": (at or now()).isoformat(),
        **extra,
    }


@dataclass
class World:
    client: TestClient
    admin: Headers
    tokens: dict[str, Headers] = field(default_factory=dict)

    def issue(self, count: int, level: str = "item", lot: str = "LOT1") -> list[dict[str, str]]:
        body = {"gtin": GTIN, "lot": lot, "count": count, "level": level}
        batch = self.client.post("/v1/code-batches", json=body, headers=self.tokens["line"])
        assert batch.status_code == 201, batch.text
        codes = self.client.get(
            f"/v1/code-batches/{batch.json()['batch_id']}/codes", headers=self.tokens["line"]
        )
        return [orjson.loads(line) for line in codes.content.splitlines()]

    def scan(
        self,
        who: str,
        payload: str,
        checkpoint: str,
        at: datetime | None = None,
        loc: tuple[float, float] | None = None,
        **extra: Any,
    ) -> Any:
        body = scan_body(payload, checkpoint, at, **extra)
        if loc is not None:
            body["location"] = {"lat": loc[0], "lon": loc[1], "accuracy_m": 20}
        return self.client.post("/v1/scans", json=body, headers=self.tokens[who])

    def ok(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        response = self.scan(*args, **kwargs)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def deliver(self, payload: str, dealer: str = "dealer-sh", store: str = "store-sh") -> None:
        """The whole happy path of one item: plant → dealer → store → sold."""
        t = now() - timedelta(hours=5)
        self.ok("line", payload, "commission", t)
        self.ok("plant", payload, "ship", t + timedelta(hours=1), to_party_id=dealer)
        self.ok(dealer, payload, "dealer_receive", t + timedelta(hours=2))
        self.ok(dealer, payload, "dealer_ship", t + timedelta(hours=3), to_party_id=store)
        self.ok(store, payload, "retail_receive", t + timedelta(hours=4))
        self.ok(store, payload, "retail_sell", t + timedelta(hours=4, minutes=30))


def build_world(client: TestClient, admin: Headers, make_token: Callable[..., Headers]) -> World:
    product = {"name": "Green tea", "unit_value": "12.50", "currency": "CNY"}
    assert client.put(f"/v1/products/{GTIN}", json=product, headers=admin).is_success
    for party_id, body in PARTIES.items():
        assert client.put(f"/v1/parties/{party_id}", json=body, headers=admin).is_success
    for tid, ring in (("sh", SH), ("hz", HZ)):
        body = {"name": tid, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        assert client.put(f"/v1/territories/{tid}", json=body, headers=admin).is_success
    for party_id, tid in (("dealer-sh", "sh"), ("dealer-hz", "hz")):
        assert client.put(
            f"/v1/parties/{party_id}/territories/{tid}", json={}, headers=admin
        ).is_success
    world = World(client, admin)
    world.tokens["line"] = make_token("line", "plant")
    for party_id in PARTIES:
        world.tokens[party_id] = make_token("logistics", party_id)
    world.tokens["compliance"] = make_token("compliance")
    return world
