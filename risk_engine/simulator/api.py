"""The simulator's only door into Sealtrace: the public HTTP API, timed.

Works over any `httpx.Client`: Starlette's `TestClient` around an in-process app, or a plain
client with `base_url` pointing at a running server on this machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx
import orjson

from risk_engine.simulator.world import World

Headers = dict[str, str]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class ApiError(RuntimeError):
    pass


def check_local_url(url: str) -> str:
    """Only a server on this machine may be driven (the simulator writes a lot of data)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "") not in LOCAL_HOSTS:
        raise ValueError(f"only http://127.0.0.1 or http://localhost servers are allowed: {url}")
    return url.rstrip("/")


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


class Api:
    """Timed calls; `expect` turns an unexpected status into an error naming the response."""

    def __init__(self, http: httpx.Client, admin_token: str) -> None:
        self.http = http
        self.admin = bearer(admin_token)
        self.calls = 0

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: Headers | None = None,
        expect: tuple[int, ...] = (200, 201),
    ) -> tuple[httpx.Response, float]:
        content = None if body is None else orjson.dumps(body)
        sent = {"Content-Type": "application/json", **(self.admin if headers is None else headers)}
        started = time.perf_counter()
        response = self.http.request(method, path, content=content, headers=sent)
        elapsed = time.perf_counter() - started
        self.calls += 1
        if expect and response.status_code not in expect:
            raise ApiError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response, elapsed

    def json(self, method: str, path: str, body: Any = None, headers: Headers | None = None) -> Any:
        return self.call(method, path, body=body, headers=headers)[0].json()

    def exists(self, path: str) -> bool:
        response, _ = self.call("GET", path, expect=(200, 404))
        return response.status_code == 200

    def issue(self, line: Headers, gtin: str, lot: str, level: str, count: int) -> list[str]:
        """Issue a batch of codes; returns their payloads (streamed NDJSON)."""
        body = {"gtin": gtin, "lot": lot, "level": level, "count": count}
        batch = self.json("POST", "/v1/code-batches", body, line)
        response, _ = self.call("GET", f"/v1/code-batches/{batch['batch_id']}/codes", headers=line)
        return [orjson.loads(row)["payload"] for row in response.content.splitlines() if row]

    def alerts(self, **query: str) -> Iterator[dict[str, Any]]:
        """Every alert matching the filters (follows the cursor)."""
        params = {"limit": "1000", **query}
        while True:
            qs = "&".join(f"{k}={v}" for k, v in params.items())
            page = self.json("GET", f"/v1/alerts?{qs}")
            yield from page["items"]
            if not page["next_cursor"]:
                return
            params["cursor"] = page["next_cursor"]


def install(api: Api, world: World) -> None:
    """Master data and one token per scanning party, through the admin API."""
    for n, gtin in enumerate(world.gtins, 1):
        product = {"name": f"{world.prefix} product {n}", "unit_value": "38.00", "currency": "CNY"}
        api.call("PUT", f"/v1/products/{gtin}", body=product)
    for t in world.territories.values():
        geometry = {"type": "Polygon", "coordinates": [t.ring()]}
        api.call("PUT", f"/v1/territories/{t.id}", body={"name": t.name, "geometry": geometry})
    for party in world.parties:  # plant, dealers, sub-dealers, stores: parents come first
        api.call("PUT", f"/v1/parties/{party.id}", body=party.body())
    for tid, dealer in world.dealers.items():
        api.call("PUT", f"/v1/parties/{dealer.id}/territories/{tid}", body={})
    world.tokens["line"] = _token(api, world, "line", world.plant.id)
    world.tokens["compliance"] = _token(api, world, "compliance", None)
    for party in world.parties:
        world.tokens[party.id] = _token(api, world, "logistics", party.id)


def _token(api: Api, world: World, role: str, party_id: str | None) -> Headers:
    body: dict[str, Any] = {"role": role, "name": f"{world.prefix}-{role}-{party_id or 'hq'}"}
    if party_id:
        body["party_id"] = party_id
    return bearer(api.json("POST", "/v1/tokens", body)["token"])
