"""Two uploads commissioning one code at the same moment: exactly one is its first commission.

Only a code's first commission can explain a `leaked_code` alert away
(docs/risk-rules.md); were both racers "first", a back-dated twin uploaded alongside the
real one could. The second upload waits for the first one's row lock and then reads its
committed row (`scan_api.scans.repository.commission`).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta, timezone

import asyncpg

from scan_api.scans import repository as scans_repository
from tests.pg import SyncDb
from tests.world import World, now, scan_body


async def _race(dsn: str, code: str) -> tuple[set[uuid.UUID], set[uuid.UUID], bool]:
    """Upload A commissions and holds its transaction open; upload B, dated earlier, starts
    meanwhile; A commits. Returns what each found first, and whether B waited for A."""
    at = now() - timedelta(hours=1)
    first, back_dated = uuid.uuid4(), uuid.uuid4()
    a, b = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        a_tx, b_tx = a.transaction(), b.transaction()
        await a_tx.start()
        won = await scans_repository.commission(a, [code], [at], [first])
        await b_tx.start()
        late = asyncio.ensure_future(
            scans_repository.commission(b, [code], [at - timedelta(minutes=5)], [back_dated])
        )
        await asyncio.sleep(0.5)
        waited = not late.done()
        await a_tx.commit()
        lost = await late
        await b_tx.commit()
        return won, lost, waited
    finally:
        await a.close()
        await b.close()


def test_two_racing_commissions_have_one_first(world: World, db: SyncDb, module_dsn: str) -> None:
    [item] = world.issue(1)
    won, lost, waited = asyncio.run(_race(module_dsn, item["code"]))
    assert waited, "the second upload must wait for the first one's row lock"
    assert len(won) == 1
    assert lost == set(), "a racing second commission is never the first"
    # The earlier time stays the code's commission time (earliest wins), as documented.
    row = db.fetch("SELECT commissioned_at FROM codes WHERE code = $1", item["code"])[0]
    assert row["commissioned_at"] < now() - timedelta(minutes=64)


def test_a_commission_keeps_its_exact_time_and_event(world: World, db: SyncDb) -> None:
    """Commissions reach PostgreSQL as JSON text (scan_api/scans/repository.py): the
    offset and the microseconds of `scanned_at` survive, and the earliest scan wins."""
    [item] = world.issue(1)
    at = (now() - timedelta(minutes=7)).replace(microsecond=654321)
    later = scan_body(item["payload"], "commission", at + timedelta(microseconds=1))
    first = scan_body(item["payload"], "commission", at.astimezone(timezone(timedelta(hours=8))))
    response = world.client.post(
        "/v1/scans/batch", json={"scans": [later, first]}, headers=world.tokens["line"]
    )
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["created", "created"]
    row = db.fetch(
        "SELECT commissioned_at, commission_event_id FROM codes WHERE code = $1", item["code"]
    )[0]
    assert row["commissioned_at"] == at
    assert str(row["commission_event_id"]) == first["event_id"]
