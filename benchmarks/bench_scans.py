"""Scan API on loopback: single scans and batches beside the same server's GET /healthz.

Goals (issue 4): POST /v1/scans >= 0.5 x healthz/s with p99 <= 100 ms at 32 clients;
POST /v1/scans/batch >= 20,000 scans/s sustained; POST /v1/verify >= 0.5 x healthz/s.
The risk engine on/off ratio of single scans is issue 5's (>= 0.7).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx2 as httpx
import orjson
import shapely
import shapely.geometry

from benchmarks import wrk
from benchmarks.bench_geo import territories
from benchmarks.harness import CpuMeter, Server, line, postgres_dsn

GTIN = "05901234123457"


DOCK = (31.2, 121.4)  # dealer-b, where its scans and the consumer checks happen
TERRITORIES = 300


def setup(api: httpx.Client, codes: int) -> dict[str, Any]:
    """A plant, a dealer authorized for the territory it sits in, 300 sales territories over
    China (so the rules' geometry work is in the figures), and a batch of `codes` items."""
    api.put(f"/v1/products/{GTIN}", json={"name": "Tea", "unit_value": "9.90", "currency": "CNY"})
    for pid, kind in (("plant-b", "plant"), ("dealer-b", "dealer")):
        body = {"kind": kind, "name": pid, "location": {"lat": DOCK[0], "lon": DOCK[1]}}
        api.put(f"/v1/parties/{pid}", json=body).raise_for_status()
    home = None
    for tid, geom in territories(TERRITORIES).items():
        body = {"name": tid, "geometry": shapely.geometry.mapping(geom)}
        api.put(f"/v1/territories/{tid}", json=body).raise_for_status()
        if geom.contains(shapely.Point(DOCK[1], DOCK[0])):
            home = tid
    assert home is not None
    api.put(f"/v1/parties/dealer-b/territories/{home}", json={}).raise_for_status()
    tokens = {}
    for role, party in (("line", "plant-b"), ("logistics", "dealer-b")):
        body = {"role": role, "name": f"bench-{role}", "party_id": party}
        tokens[role] = api.post("/v1/tokens", json=body).json()["token"]
    batch = api.post(
        "/v1/code-batches",
        json={"gtin": GTIN, "lot": "B1", "count": codes, "plant_id": "plant-b"},
    ).json()
    lines = api.get(f"/v1/code-batches/{batch['batch_id']}/codes").content.splitlines()
    payloads = [orjson.loads(x)["payload"] for x in lines]
    return {"tokens": tokens, "payloads": payloads}


async def batch_rate(base: str, token: str, payloads: list[str], clients: int = 4) -> float:
    """Commission every payload through /v1/scans/batch (1,000 per request)."""
    now = datetime.now(UTC).isoformat()
    bodies = [
        orjson.dumps(
            {
                "scans": [
                    {
                        "event_id": str(uuid.uuid4()),
                        "payload": p,
                        "checkpoint": "commission",
                        "scanned_at": now,
                    }
                    for p in payloads[i : i + 1000]
                ]
            }
        )
        for i in range(0, len(payloads), 1000)
    ]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            response = await client.post("/v1/scans/batch", content=queue.get_nowait())
            response.raise_for_status()

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return len(payloads) / (time.perf_counter() - started)


async def insert_floor(server: Server, payloads: list[str], clients: int = 4) -> float:
    """The batch figure's baseline: the same rows inserted straight into a copy of
    `scan_events` (its indexes and checks, no foreign keys) by the same PostgreSQL, 1,000 per
    transaction over `clients` connections, as the batch endpoint commits them. No HTTP, no
    verification, no rules: the least a batch could cost on this machine today."""
    conn = await asyncpg.connect(postgres_dsn(server.pg_data))
    await conn.execute(
        "CREATE TABLE bench_floor (LIKE scan_events INCLUDING DEFAULTS INCLUDING INDEXES"
        " INCLUDING CONSTRAINTS)"
    )
    chunks = [payloads[i : i + 1000] for i in range(0, len(payloads), 1000)]
    queue: asyncio.Queue[list[str]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)

    async def worker(db: asyncpg.Connection) -> None:
        while not queue.empty():
            chunk = queue.get_nowait()
            await db.execute(
                """INSERT INTO bench_floor (event_id, code, payload, checkpoint, scanned_at,
                                            verdict, response)
                   SELECT gen_random_uuid(), p, p, 'commission', now(), 'genuine', '{}'
                   FROM unnest($1::text[]) AS p""",
                chunk,
            )

    workers = [await asyncpg.connect(postgres_dsn(server.pg_data)) for _ in range(clients)]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker(db) for db in workers))
        return len(payloads) / (time.perf_counter() - started)
    finally:
        for db in workers:
            await db.close()
        await conn.execute("DROP TABLE bench_floor")
        await conn.close()


async def settle(server: Server) -> None:
    """Vacuum and analyze what the bulk load wrote, as autovacuum would within its next
    minute: otherwise that maintenance lands inside the measured rounds (and statistics
    from before the load steer the plans). Only the loaded tables: analyzing a table that
    is still empty (loyalty claims) would fix plans for an empty table until autovacuum
    catches up with its growth."""
    conn = await asyncpg.connect(postgres_dsn(server.pg_data))
    try:
        await conn.execute("VACUUM ANALYZE codes, code_batches, scan_events")
    finally:
        await conn.close()


def scan_lua(token: str, payloads: list[str]) -> str:
    listed = ",".join(json.dumps(p) for p in payloads)
    now = datetime.now(UTC).isoformat()
    return f"""
local payloads = {{{listed}}}
request = function()
  local body = string.format(
    '{{"event_id":"%s","payload":"%s","checkpoint":"dealer_receive","scanned_at":"{now}",'
    .. '"location":{{"lat":{DOCK[0]},"lon":{DOCK[1]},"accuracy_m":25}}}}',
    uuid(), payloads[math.random(#payloads)])
  return wrk.format("POST", "/v1/scans",
    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}, body)
end
"""


def verify_lua(payloads: list[str]) -> str:
    listed = ",".join(json.dumps(p) for p in payloads)
    return f"""
local payloads = {{{listed}}}
request = function()
  local body = string.format(
    '{{"payload":"%s","consumer_id":"c-%d","location":{{"lat":{DOCK[0]},"lon":{DOCK[1]},"accuracy_m":30}}}}',
    payloads[math.random(#payloads)], math.random(1, 100000))
  return wrk.format("POST", "/v1/verify", {{["Content-Type"] = "application/json"}}, body)
end
"""


ROUNDS = 3


@dataclass
class Paired:
    """Rounds of (GET /healthz, then the endpoint), same server: each ratio has its own
    baseline from the seconds just before it, so a shift in the machine's load between
    rounds moves both sides instead of the ratio."""

    results: list[wrk.WrkResult] = field(default_factory=list)
    baselines: list[wrk.WrkResult] = field(default_factory=list)
    api_s: float = 0.0
    pg_s: float = 0.0
    alerts: dict[str, int] = field(default_factory=dict)  # by type, when the rounds ended

    @property
    def rate(self) -> float:
        return statistics.fmean(r.requests_per_s for r in self.results)

    @property
    def baseline(self) -> float:
        return statistics.fmean(r.requests_per_s for r in self.baselines)

    @property
    def ratios(self) -> list[float]:
        pairs = zip(self.results, self.baselines, strict=True)
        return [r.requests_per_s / b.requests_per_s for r, b in pairs]

    def cpu_us(self) -> str:
        requests = max(1, sum(r.requests for r in self.results))
        return (
            f"CPU per request: API {1e6 * self.api_s / requests:.0f} us, "
            f"PostgreSQL {1e6 * self.pg_s / requests:.0f} us"
        )


def _paired(server: Server, path: str, lua: str, seconds: int) -> Paired:
    paired = Paired()
    each = max(4, round(seconds / ROUNDS))
    for _ in range(ROUNDS):
        paired.baselines.append(wrk.run(server.base + "/healthz", "", each - 1))
        with CpuMeter(server) as cpu:
            paired.results.append(wrk.run(server.base + path, lua, each))
        paired.api_s += cpu.api_s
        paired.pg_s += cpu.pg_s
    return paired


def _one_server(seconds: int, codes: int, risk: bool) -> tuple[float, float, Paired, Paired | None]:
    env = {
        "SEALTRACE_RISK_ENABLED": "true" if risk else "false",
        # One load generator is one address: the per-address consumer limit would answer 429.
        "SEALTRACE_VERIFY_RATE_PER_ADDRESS_PER_MIN": "0",
        "SEALTRACE_VERIFY_RATE_PER_CONSUMER_PER_MIN": "0",
    }
    with Server(env) as server, server.client() as api:
        world = setup(api, codes)
        rate = asyncio.run(batch_rate(server.base, world["tokens"]["line"], world["payloads"]))
        floor = asyncio.run(insert_floor(server, world["payloads"]))
        asyncio.run(settle(server))
        # One consumer check builds the territory index (~0.1 s for 300 territories, once per
        # change), as a running server has long done before traffic like this arrives.
        api.post("/v1/verify", json={"payload": world["payloads"][0]}).raise_for_status()
        # Each request receives a random code of the batch: codes are scanned about once each,
        # as at a dealer's dock, not the same few codes thousands of times.
        scans = scan_lua(world["tokens"]["logistics"], world["payloads"])
        single = _paired(server, "/v1/scans", scans, seconds)
        verify = None
        if risk:
            verify = _paired(server, "/v1/verify", verify_lua(world["payloads"]), seconds)
            # Random checkers of random codes give some codes five of them: a clone, by the
            # rule. Shown, because checks of those codes cost more (docs/performance.md).
            verify.alerts = api.get("/v1/alerts/counts").raise_for_status().json()["by_type"]
        return rate, floor, single, verify


def run(seconds: int, codes: int) -> None:
    if not wrk.available():
        print("  wrk is not installed (apt-get install wrk): skipping the scan benchmark")
        return
    print(
        f"scan API (32 connections, dealer_receive scans; {ROUNDS} rounds of GET /healthz "
        "then the endpoint, ratios per round)"
    )
    with_risk = 0.0
    for risk in (True, False):
        rate, floor, single, verify = _one_server(seconds, codes, risk)
        print(" risk engine on:" if risk else " risk engine off:")
        line("POST /v1/scans/batch (1,000 commissions/request)", rate, "scans/s", floor, "insert")
        print(f"  {'':<46} goal >= 20,000 scans/s; baseline: the same rows inserted in SQL")
        _report("POST /v1/scans", "scans/s", single)
        if verify is not None:
            _report("POST /v1/verify", "req/s", verify)
        if risk:
            with_risk = single.rate
        else:
            ratio = with_risk / single.rate
            print(f"  {'scans/s with the risk engine on / off':<46} {ratio:>12.2f}  (goal >= 0.7)")


def _report(name: str, unit: str, paired: Paired) -> None:
    line(name, paired.rate, unit, paired.baseline, "healthz")
    rounds = " / ".join(f"{r:.2f}" for r in paired.ratios)
    print(f"  {'':<46} rounds: {rounds} x their healthz (goal >= 0.5)")
    p50 = statistics.median(r.p50_ms for r in paired.results)
    p99 = max(r.p99_ms for r in paired.results)
    bad = sum(r.non_2xx for r in paired.results)
    total = sum(r.requests for r in paired.results)
    print(f"  {'':<46} p50 {p50:.1f} ms, worst p99 {p99:.1f} ms, non-2xx {bad} of {total}")
    print(f"  {'':<46} {paired.cpu_us()}")
    if paired.alerts:
        raised = ", ".join(f"{n:,} {kind}" for kind, n in sorted(paired.alerts.items()))
        print(f"  {'':<46} alerts when the rounds ended: {raised}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--codes", type=int, default=50_000)
    args = parser.parse_args()
    run(args.seconds, args.codes)


if __name__ == "__main__":
    main()
