"""`make loadtest`: a local server, a prepared world, locust headless for 60 s, a CSV/HTML report.

Only ever 127.0.0.1: the server is started here (benchmarks.harness.Server) and is the only host
locust is given. locust stops itself after `--run-time`; a timeout around it stops it anyway.

    python -m loadtests.run [--run-time 60s] [--users 60] [--line-codes 30000] [--pallets 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx2 as httpx
import orjson

from benchmarks.harness import Server, postgres_dsn

ROOT = Path(__file__).resolve().parent
REPORTS = ROOT / "reports"
GTIN = "05901234123457"
WORLD_ENV = "SEALTRACE_LOADTEST_WORLD"
LOOPBACK = "127.0.0.1"

# Shanghai-ish and Hangzhou-ish squares, [lon, lat] (as in tests/world.py).
TERRITORIES = {
    "sh": [[120.8, 30.7], [122.0, 30.7], [122.0, 31.9], [120.8, 31.9], [120.8, 30.7]],
    "hz": [[119.5, 29.8], [120.6, 29.8], [120.6, 30.6], [119.5, 30.6], [119.5, 29.8]],
}
PARTIES: dict[str, dict[str, Any]] = {
    "plant": {"kind": "plant", "name": "Suzhou plant", "location": {"lat": 31.30, "lon": 120.60}},
    "dealer-sh": {"kind": "dealer", "name": "SH dealer", "location": {"lat": 31.23, "lon": 121.47}},
    "dealer-hz": {"kind": "dealer", "name": "HZ dealer", "location": {"lat": 30.27, "lon": 120.15}},
    "store-sh-1": {
        "kind": "retailer",
        "parent_id": "dealer-sh",
        "location": {"lat": 31.20, "lon": 121.44},
    },
    "store-sh-2": {
        "kind": "retailer",
        "parent_id": "dealer-sh",
        "location": {"lat": 31.30, "lon": 121.52},
    },
    "store-hz-1": {
        "kind": "retailer",
        "parent_id": "dealer-hz",
        "location": {"lat": 30.25, "lon": 120.17},
    },
    "store-hz-2": {
        "kind": "retailer",
        "parent_id": "dealer-hz",
        "location": {"lat": 30.29, "lon": 120.10},
    },
}
DEALER_TERRITORY = {"dealer-sh": "sh", "dealer-hz": "hz"}


def _check_loopback(base: str) -> None:
    host = urlsplit(base).hostname
    if host != LOOPBACK:
        raise SystemExit(f"load tests only target {LOOPBACK}, not {host!r}")


def _codes(api: httpx.Client, line: dict[str, str], level: str, count: int, lot: str) -> list[str]:
    """Issue `count` codes as the line and return their payloads."""
    payloads: list[str] = []
    while len(payloads) < count:
        body = {
            "gtin": GTIN,
            "lot": lot,
            "level": level,
            "count": min(count - len(payloads), 50_000),
        }
        batch = api.post("/v1/code-batches", json=body, headers=line).raise_for_status().json()
        stream = api.get(f"/v1/code-batches/{batch['batch_id']}/codes", headers=line)
        payloads += [orjson.loads(x)["payload"] for x in stream.raise_for_status().content.split()]
    return payloads


def _scans(api: httpx.Client, headers: dict[str, str], scans: list[dict[str, Any]]) -> None:
    """Record scans through the batch endpoint; every one must be created."""
    # At most 1,000 scans and well under the 1 MiB body limit per request.
    per_request = max(1, min(1000, 600_000 // max(len(orjson.dumps(s)) for s in scans)))
    for i in range(0, len(scans), per_request):
        chunk = scans[i : i + per_request]
        results = api.post("/v1/scans/batch", json={"scans": chunk}, headers=headers)
        bad = [r for r in results.raise_for_status().json()["results"] if r["status"] != "created"]
        if bad:
            raise RuntimeError(f"{len(bad)} preparation scans not created, e.g. {bad[0]}")


def _scan(payload: str, checkpoint: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "payload": payload,
        "checkpoint": checkpoint,
        "scanned_at": at.isoformat(),
        **extra,
    }


def prepare(
    server: Server, line_codes: int, pallets: int, cases_per_pallet: int, items_per_case: int
) -> dict[str, Any]:
    """Master data, tokens, and goods: pallets of cases of items already at the dealers' door.

    The line's own pool of issued-but-not-commissioned codes feeds the commissioning bursts.
    """
    with server.client(timeout=600) as api:
        product = {"name": "Green tea 250 g", "unit_value": "12.50", "currency": "CNY"}
        api.put(f"/v1/products/{GTIN}", json=product).raise_for_status()
        for party_id, body in PARTIES.items():
            api.put(f"/v1/parties/{party_id}", json={"name": party_id, **body}).raise_for_status()
        for tid, ring in TERRITORIES.items():
            geometry = {"type": "Polygon", "coordinates": [ring]}
            api.put(f"/v1/territories/{tid}", json={"name": tid, "geometry": geometry})
        for dealer, tid in DEALER_TERRITORY.items():
            api.put(f"/v1/parties/{dealer}/territories/{tid}", json={}).raise_for_status()
        tokens: dict[str, str] = {}
        for name, role, party in [("line", "line", "plant")] + [
            (p, "logistics", p) for p in PARTIES
        ]:
            body = {"role": role, "name": f"load-{name}", "party_id": party}
            tokens[name] = api.post("/v1/tokens", json=body).raise_for_status().json()["token"]
        line = {"Authorization": f"Bearer {tokens['line']}"}
        plant = {"Authorization": f"Bearer {tokens['plant']}"}

        started = time.perf_counter()
        n_cases = pallets * cases_per_pallet
        items = _codes(api, line, "item", n_cases * items_per_case, "L-GOODS")
        cases = _codes(api, line, "case", n_cases, "L-GOODS")
        pallet_codes = _codes(api, line, "pallet", pallets, "L-GOODS")
        line_pool = _codes(api, line, "item", line_codes, "L-LINE")
        issued = len(items) + len(cases) + len(pallet_codes) + len(line_pool)
        print(f"  issued {issued:,} codes in {time.perf_counter() - started:.1f} s", flush=True)

        t0 = datetime.now(UTC) - timedelta(hours=6)
        _scans(api, line, [_scan(p, "commission", t0) for p in items + cases + pallet_codes])
        world_pallets: list[dict[str, Any]] = []
        packs: list[dict[str, Any]] = []
        ships: list[dict[str, Any]] = []
        dealers = list(DEALER_TERRITORY)
        for index, pallet in enumerate(pallet_codes):
            my_cases = []
            for c in range(cases_per_pallet):
                n = index * cases_per_pallet + c
                case_items = items[n * items_per_case : (n + 1) * items_per_case]
                packs.append(
                    _scan(cases[n], "pack", t0 + timedelta(minutes=10), children=case_items)
                )
                my_cases.append({"payload": cases[n], "items": case_items})
            children = [c["payload"] for c in my_cases]
            packs.append(_scan(pallet, "pack", t0 + timedelta(minutes=20), children=children))
            dealer = dealers[index % len(dealers)]
            ships.append(_scan(pallet, "ship", t0 + timedelta(hours=1), to_party_id=dealer))
            world_pallets.append({"dealer": dealer, "payload": pallet, "cases": my_cases})
        _scans(api, line, packs)
        _scans(api, plant, ships)
        print(f"  world ready in {time.perf_counter() - started:.1f} s")
    return {
        "host": server.base,
        "gtin": GTIN,
        "tokens": tokens,
        "parties": PARTIES,
        "line_codes": line_pool,
        "pallets": world_pallets,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--line-codes", type=int, default=30_000)
    parser.add_argument("--pallets", type=int, default=100)
    parser.add_argument("--cases-per-pallet", type=int, default=5)
    parser.add_argument("--items-per-case", type=int, default=10)
    args = parser.parse_args()

    REPORTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    prefix = REPORTS / stamp
    # Consumers all come from 127.0.0.1 here: switch the per-address limit off (and the
    # per-consumer one: the load recycles a few thousand consumer ids).
    env = {
        "SEALTRACE_VERIFY_RATE_PER_ADDRESS_PER_MIN": "0",
        "SEALTRACE_VERIFY_RATE_PER_CONSUMER_PER_MIN": "0",
        "SEALTRACE_HOST": LOOPBACK,
    }
    print("starting a local server (embedded PostgreSQL) ...", flush=True)
    with Server(env=env) as server:
        _check_loopback(server.base)
        print(f"  {server.base}, data in {server.data_dir}")
        print("preparing the world ...", flush=True)
        world = prepare(
            server, args.line_codes, args.pallets, args.cases_per_pallet, args.items_per_case
        )
        with tempfile.NamedTemporaryFile(
            "w", prefix="sealtrace-world-", suffix=".json", delete=False
        ) as handle:
            json.dump(world, handle)
        world_file = Path(handle.name)
        try:
            command = [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "locustfile.py"),
                "--headless",
                "--host",
                server.base,
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                args.run_time,
                "--stop-timeout",
                "10",
                "--csv",
                str(prefix),
                "--html",
                f"{prefix}.html",
                "--only-summary",
                "--loglevel",
                "WARNING",
            ]
            print(f"running locust for {args.run_time} with {args.users} users ...", flush=True)
            since = datetime.now(UTC)
            seconds = _seconds(args.run_time)
            result = subprocess.run(
                command,
                env={**os.environ, WORLD_ENV: str(world_file)},
                timeout=seconds + 120,
                check=False,
            )
            stored = asyncio.run(_stored_since(postgres_dsn(server.pg_data), since))
        finally:
            world_file.unlink(missing_ok=True)
    failed = " (some requests failed)" if result.returncode == 1 else ""
    print(f"\nlocust exited with {result.returncode}{failed}")
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        print("no report was written")
        return result.returncode or 1
    elapsed = _seconds(args.run_time)
    total = sum(stored.values())
    print(f"scans stored during the run: {total:,} ({total / elapsed:,.0f}/s)")
    for checkpoint, count in sorted(stored.items()):
        print(f"  {checkpoint:<38} {count:>8,} {count / elapsed:>8,.1f}/s")
    print(f"\nreport: {prefix}.html\n        {prefix}_stats.csv (and _failures, _exceptions)")
    return result.returncode


async def _stored_since(dsn: str, since: datetime) -> dict[str, int]:
    """scan_events rows recorded since `since`, per checkpoint (batch contents included)."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT checkpoint, count(*) AS n FROM scan_events"
            " WHERE recorded_at >= $1 GROUP BY checkpoint",
            since,
        )
    finally:
        await conn.close()
    return {r["checkpoint"]: r["n"] for r in rows}


def _seconds(run_time: str) -> int:
    units = {"h": 3600, "m": 60, "s": 1}
    total, number = 0, ""
    for char in run_time:
        if char.isdigit():
            number += char
        else:
            total += int(number or 0) * units[char]
            number = ""
    return total + int(number or 0)


if __name__ == "__main__":
    raise SystemExit(main())
