"""A cloned code's checks: what one more consumer check costs once a code has many.

Counterfeiters print one genuine code on thousands of fakes, so one code can collect
thousands of consumer checks. Until a code is found cloned for both reasons, its verdict
reads every earlier check (a window of the latest ones would let one consumer's repeats push
the other witnesses out); from then on its stored finding answers, and the risk engine reads
a window of the latest checks by witness (docs/decisions.md, "A cloned code's checks"). This
measures what is left of the growth, on a real server, one request at a time (latency, not
throughput), each figure beside a check of a fresh code in the same step. The hot code is
checked by a new consumer each time, in four cities. Run alone:
`python -m benchmarks.bench_hot_code`.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx2 as httpx

from benchmarks.bench_scans import DOCK, batch_rate, setup
from benchmarks.harness import Server

PLACES = [DOCK, (39.90, 116.40), (23.13, 113.26), (30.57, 104.07)]  # four cities
STEPS = (0, 100, 500, 2000, 5000)
SAMPLES = 15


def _check(api: httpx.Client, payload: str, consumer: str, place: tuple[float, float]) -> float:
    body = {
        "payload": payload,
        "consumer_id": consumer,
        "location": {"lat": place[0], "lon": place[1], "accuracy_m": 20},
    }
    started = time.perf_counter()
    api.post("/v1/verify", json=body).raise_for_status()
    return 1000 * (time.perf_counter() - started)


def run() -> list[tuple[int, float, float]]:
    """(earlier checks, median ms for the hot code, median ms for fresh codes) per step."""
    env = {
        "SEALTRACE_VERIFY_RATE_PER_ADDRESS_PER_MIN": "0",
        "SEALTRACE_VERIFY_RATE_PER_CONSUMER_PER_MIN": "0",
    }
    figures = []
    with Server(env) as server, server.client() as api:
        world = setup(api, 200)
        asyncio.run(batch_rate(server.base, world["tokens"]["line"], world["payloads"]))
        hot, fresh = world["payloads"][0], iter(world["payloads"][1:])
        done = 0
        for target in STEPS:
            while done < target:
                _check(api, hot, f"clone-{done}", PLACES[done % len(PLACES)])
                done += 1
            hot_ms, fresh_ms = [], []
            for _ in range(SAMPLES):
                fresh_ms.append(_check(api, next(fresh), f"fresh-{done}", DOCK))
                hot_ms.append(_check(api, hot, f"clone-{done}", DOCK))
                done += 1
            figures.append((target, statistics.median(hot_ms), statistics.median(fresh_ms)))
    return figures


def main() -> None:
    print(
        "consumer checks of one code with many earlier checks "
        f"(median of {SAMPLES}, one request at a time)"
    )
    figures = run()
    for earlier, hot_ms, fresh_ms in figures:
        print(
            f"  {f'{earlier:,} earlier checks':<30} {hot_ms:8.2f} ms"
            f"   ({hot_ms / fresh_ms:.2f} x a fresh code's {fresh_ms:.2f} ms)"
        )
    (near, at_near, _), (far, at_far, _) = figures[-2], figures[-1]  # the growth that is left
    per_thousand = 1000 * (at_far - at_near) / (far - near)
    print(
        f"  {f'from {near:,} to {far:,}':<30} {per_thousand:8.2f} ms more per 1,000 earlier checks"
    )


if __name__ == "__main__":
    main()
