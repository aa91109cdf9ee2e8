"""Scan API on loopback: single scans and batches beside the same server's GET /healthz.

Goals (issue 4): POST /v1/scans >= 0.5 x healthz/s with p99 <= 100 ms at 32 clients;
POST /v1/scans/batch >= 20,000 scans/s sustained.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx
import orjson

from benchmarks import wrk
from benchmarks.harness import CpuMeter, Server, line

GTIN = "05901234123457"


def setup(api: httpx.Client, codes: int) -> dict[str, Any]:
    api.put(f"/v1/products/{GTIN}", json={"name": "Tea", "unit_value": "9.90", "currency": "CNY"})
    for pid, kind in (("plant-b", "plant"), ("dealer-b", "dealer")):
        body = {"kind": kind, "name": pid, "location": {"lat": 31.2, "lon": 121.4}}
        api.put(f"/v1/parties/{pid}", json=body).raise_for_status()
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


def scan_lua(token: str, payloads: list[str]) -> str:
    listed = ",".join(json.dumps(p) for p in payloads)
    now = datetime.now(UTC).isoformat()
    return f"""
local payloads = {{{listed}}}
request = function()
  local body = string.format(
    '{{"event_id":"%s","payload":"%s","checkpoint":"dealer_receive","scanned_at":"{now}"}}',
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
    '{{"payload":"%s","consumer_id":"c-%d","location":{{"lat":31.2,"lon":121.4,"accuracy_m":30}}}}',
    payloads[math.random(#payloads)], math.random(1, 100000))
  return wrk.format("POST", "/v1/verify", {{["Content-Type"] = "application/json"}}, body)
end
"""


Measured = tuple[wrk.WrkResult, CpuMeter]


def _measured(server: Server, path: str, lua: str, seconds: int) -> Measured:
    with CpuMeter(server) as cpu:
        result = wrk.run(server.base + path, lua, seconds)
    return result, cpu


def _one_server(
    seconds: int, codes: int, risk: bool
) -> tuple[Measured, float, Measured, Measured | None]:
    env = {
        "SEALTRACE_RISK_ENABLED": "true" if risk else "false",
        # One load generator is one address: the per-address consumer limit would answer 429.
        "SEALTRACE_VERIFY_RATE_PER_ADDRESS_PER_MIN": "0",
        "SEALTRACE_VERIFY_RATE_PER_CONSUMER_PER_MIN": "0",
    }
    with Server(env) as server, server.client() as api:
        world = setup(api, codes)
        healthz = _measured(server, "/healthz", "", seconds)
        rate = asyncio.run(batch_rate(server.base, world["tokens"]["line"], world["payloads"]))
        # Each request receives a random code of the batch: codes are scanned about once each,
        # as at a dealer's dock, not the same few codes thousands of times.
        single = _measured(
            server, "/v1/scans", scan_lua(world["tokens"]["logistics"], world["payloads"]), seconds
        )
        verify = None
        if risk:
            verify = _measured(server, "/v1/verify", verify_lua(world["payloads"]), seconds)
        return healthz, rate, single, verify


def run(seconds: int, codes: int) -> None:
    if not wrk.available():
        print("  wrk is not installed (apt-get install wrk): skipping the scan benchmark")
        return
    print(f"scan API ({seconds} s per run, 32 connections, dealer_receive scans)")
    with_risk = 0.0
    for risk in (True, False):
        (healthz, health_cpu), rate, single, verify = _one_server(seconds, codes, risk)
        print(" risk engine on:" if risk else " risk engine off:")
        base = healthz.requests_per_s
        line("baseline: GET /healthz", base, "req/s")
        print(f"  {'':<46} {health_cpu.per_request_us(healthz.requests)}")
        line("POST /v1/scans/batch (1,000 commissions/request)", rate, "scans/s")
        _report("POST /v1/scans", "scans/s", single, base)
        if verify is not None:
            _report("POST /v1/verify", "req/s", verify, base)
        if risk:
            with_risk = single[0].requests_per_s
        else:
            ratio = with_risk / single[0].requests_per_s
            print(f"  {'scans/s with the risk engine on / off':<46} {ratio:>12.2f}  (goal >= 0.7)")


def _report(name: str, unit: str, measured: Measured, healthz: float) -> None:
    result, cpu = measured
    line(name, result.requests_per_s, unit, healthz, "healthz")
    print(
        f"  {'':<46} p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
        f"non-2xx {result.non_2xx} of {result.requests}"
    )
    print(f"  {'':<46} {cpu.per_request_us(result.requests)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--codes", type=int, default=50_000)
    args = parser.parse_args()
    run(args.seconds, args.codes)


if __name__ == "__main__":
    main()
