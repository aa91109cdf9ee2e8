"""One person checking a cloned code over and over: the verdict and the rules must still see
every other witness (docs/decisions.md, "A cloned code's checks")."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from risk_engine import repository as risk_repository
from tests.api import test_verify
from tests.api.test_verify import BEIJING, IN_HZ, IN_SH, commissioned, verify
from tests.pg import SyncDb, run
from tests.world import World

# The endpoint tests' module settings (generous rate limits: floods are the point here).
settings = test_verify.settings


def test_one_consumer_checking_again_and_again_cannot_clear_a_cloned_code(world: World) -> None:
    """Five people checked the code: more than one item could have. The counterfeiter then
    checks it 150 times under one consumer id; every earlier witness still counts (a window
    of the latest checks would have let the repeats push them out and answer "genuine")."""
    [payload] = commissioned(world)
    for i in range(5):
        verify(world.client, payload, f"buyer-{i}", loc=IN_SH)
    for _ in range(150):
        verify(world.client, payload, "launderer", loc=IN_SH)
    late = verify(world.client, payload, "newcomer", loc=IN_SH)
    assert late["verdict"] == "suspicious" and late["reason"] == "too_many_checks"
    assert late["verification_count"] == 156


@pytest.mark.parametrize("flooder", ["launderer", None])
def test_the_risk_engine_keeps_every_witness_through_one_persons_flood(
    world: World, db: SyncDb, module_dsn: str, flooder: str | None
) -> None:
    """The rules read a window of a code's latest checks; one person's flood (one consumer
    id, or anonymous checks from one spot) enters it with its first and last few checks only,
    so the other witnesses stay in view."""
    [payload] = commissioned(world)
    for i, place in enumerate((IN_SH, IN_HZ, BEIJING)):
        verify(world.client, payload, f"witness-{i}" if flooder else None, loc=place)
    code = db.fetchval("SELECT code FROM codes WHERE payload = $1", payload)
    witnesses = {
        r["event_id"]
        for r in db.fetch(
            "SELECT event_id FROM scan_events WHERE code = $1 AND checkpoint = 'consumer_verify'",
            code,
        )
    }
    db.execute(
        """INSERT INTO scan_events (event_id, code, payload, checkpoint, scanned_at, lat, lon,
                                    verdict, consumer_id, response)
           SELECT gen_random_uuid(), $1, $2, 'consumer_verify',
                  now() + i * interval '1 second', $4, $5, 'genuine', $3, '{}'
           FROM generate_series(1, $6) AS i""",
        code,
        payload,
        flooder,
        *IN_SH,
        risk_repository.MAX_EVENTS_PER_CODE + 50,
    )

    async def read() -> list[Any]:
        conn = await asyncpg.connect(module_dsn)
        try:
            return await risk_repository.events(conn, [code])
        finally:
            await conn.close()

    rows = run(read)
    checks = [r for r in rows if r["checkpoint"] == "consumer_verify"]
    assert witnesses <= {r["event_id"] for r in checks}
    flood = [r for r in checks if r["event_id"] not in witnesses]
    assert 0 < len(flood) <= 2 * 2 * risk_repository.CHECKS_PER_WITNESS  # a slot may split it
    assert any(r["checkpoint"] == "commission" for r in rows)
