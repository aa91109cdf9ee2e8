"""Codes issued and committed per second through the API, and streaming a batch back.

Baseline: raw Ed25519 signatures per second on one core, measured in this run.
Goal: issue rate >= 0.5 x baseline; stretch: 1,000,000 codes in <= 60 s.
Streaming: throughput, and the server's peak RSS stays under 300 MB.
"""

from __future__ import annotations

import argparse
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchmarks.harness import PeakRss, Server, line

GTIN = "05901234123457"


def ed25519_rate(seconds: float = 2.0) -> float:
    key = Ed25519PrivateKey.generate()
    message = b"x" * 140
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(500):
            key.sign(message)
        n += 500
    return n / (time.perf_counter() - start)


def run(count: int) -> None:
    baseline = ed25519_rate()
    print(f"codes API ({count:,} codes)")
    line("baseline: raw Ed25519 sign/s, one core", baseline, "sign/s")
    with Server() as server, server.client() as api:
        api.put(
            f"/v1/products/{GTIN}", json={"name": "Tea", "unit_value": "9.90", "currency": "CNY"}
        )
        plant = {"kind": "plant", "name": "P", "location": {"lat": 31.0, "lon": 121.0}}
        api.put("/v1/parties/plant-bench", json=plant).raise_for_status()
        body = {"gtin": GTIN, "lot": "BENCH1", "count": count, "plant_id": "plant-bench"}
        started = time.perf_counter()
        response = api.post("/v1/code-batches", json=body)
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        batch_id = response.json()["batch_id"]
        line(
            "POST /v1/code-batches: codes issued+committed/s",
            count / elapsed,
            "codes/s",
            baseline,
            "baseline",
        )
        print(f"  {'':<46} {elapsed:>12.1f} s for {count:,} codes")
        with PeakRss(server.pid) as rss:
            idle = rss.process.memory_info().rss / 1e6
            started = time.perf_counter()
            lines = 0
            with api.stream("GET", f"/v1/code-batches/{batch_id}/codes") as stream:
                for chunk in stream.iter_lines():
                    lines += 1 if chunk else 0
            elapsed = time.perf_counter() - started
        assert lines == count, (lines, count)
        line("GET .../codes streamed: codes/s", count / elapsed, "codes/s")
        print(
            f"  {'server peak RSS while streaming':<46} {rss.peak_mb:>12.0f} MB "
            f"(idle before: {idle:.0f} MB; limit 300 MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    run(parser.parse_args().count)


if __name__ == "__main__":
    main()
