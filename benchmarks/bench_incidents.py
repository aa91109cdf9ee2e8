"""Merging evidence into an incident must not cost more as the incident grows.

One consumer-cluster incident (a dealer's goods verified by consumers in another city) can
gather tens of thousands of codes. Each round merges 32 new one-check drafts into it through
`risk_engine.service.persist`, in its own transaction, as a scan or check group would. The
figure: ms per round into an incident of `size` codes, beside the same rounds into an
incident of 64 codes measured in the same run. Goal: ratio <= 1.5 (docs/decisions.md,
"Incidents that grow": 81.6 ms against 2.8 ms before the members left their arrays).

    python -m benchmarks.bench_incidents [--size 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from benchmarks.harness import Server, postgres_dsn
from risk_engine.evidence import new_draft
from risk_engine.models import AlertDraft, AlertType, Severity
from risk_engine.rules.diversion import REASON_CONSUMER
from risk_engine.service import persist
from risk_engine.thresholds import RiskThresholds

T = RiskThresholds()
ROUND = 32
MEASURED = 30


def _check(subject: str, i: int, start: datetime) -> AlertDraft:
    return new_draft(
        AlertType.DIVERSION,
        Severity.LOW,
        REASON_CONSUMER,
        "goods of dealer-b verified by consumers outside its territory",
        at=start + timedelta(seconds=i),
        subject=subject,
        window=T.consumer_cluster_window,
        codes=(f"sgtin:09506000134352:B1:{i:012d}",),
        event_ids=[str(uuid.uuid4())],
        source="dealer-b",
        expected=("shanghai",),
        witnesses=frozenset({f"consumer:c{i}"}),
    )


async def _rounds(conn: asyncpg.Connection, subject: str, first: int, n: int) -> list[float]:
    """ms per round for `n` rounds, the drafts numbered from `first`."""
    start = datetime.now(UTC)
    spent = []
    for r in range(n):
        drafts = [_check(subject, first + r * ROUND + k, start) for k in range(ROUND)]
        began = time.perf_counter()
        async with conn.transaction():
            await persist(conn, drafts, T)
        spent.append(1000 * (time.perf_counter() - began))
    return spent


async def measure(dsn: str, size: int) -> tuple[float, float]:
    conn = await asyncpg.connect(dsn)
    try:
        await _rounds(conn, "territory:small", 0, 2)  # 64 codes
        await _rounds(conn, "territory:big", 0, size // ROUND)
        small: list[float] = []
        big: list[float] = []
        for _ in range(MEASURED):  # alternate, so a shift in the machine's load hits both
            small += await _rounds(conn, "territory:small", 10**9 + len(small) * ROUND, 1)
            big += await _rounds(conn, "territory:big", size + len(big) * ROUND, 1)
        return statistics.median(small), statistics.median(big)
    finally:
        await conn.close()


def run(size: int) -> None:
    print(f"incident merges ({ROUND} one-check drafts per round, median of {MEASURED} rounds)")
    with Server({}) as server:
        small, big = asyncio.run(measure(postgres_dsn(server.pg_data), size))
    print(f"  {'merge round into an incident of 64 codes':<52} {small:8.2f} ms  (baseline)")
    print(
        f"  {f'merge round into an incident of {size:,} codes':<52} {big:8.2f} ms  "
        f"({big / small:.2f} x baseline; goal <= 1.5)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_incidents")
    parser.add_argument("--size", type=int, default=20_000)
    run(parser.parse_args().size)


if __name__ == "__main__":
    main()
