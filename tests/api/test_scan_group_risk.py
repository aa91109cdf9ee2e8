"""A group of scans or consumer checks is judged while its insert is under way
(risk_engine.service.judge_during): the group's own events must count as history, exactly as
if they had been stored first."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg
import orjson
import pytest

from risk_engine.models import GeoFix
from scan_api.scans.models import ScanRequest
from scan_api.scans.schemas import ScanIn
from scan_api.scans.service import record_scans
from scan_api.verify.decide import VerifyPolicy
from scan_api.verify.models import VerifyRequest
from scan_api.verify.service import store_group, verify_group
from tests.pg import SyncDb, run
from tests.world import World, now
from traceability.auth import service as auth
from traceability.auth.models import Principal
from traceability.db.pool import _init_connection

SHANGHAI, HANGZHOU = (31.23, 121.47), (30.27, 120.15)  # ~165 km apart


def _two_stores_one_minute_apart(world: World, module_dsn: str, together: bool) -> list[Any]:
    """The same item received in Shanghai and, a minute later, in Hangzhou."""
    [item] = world.issue(1)
    world.ok("line", item["payload"], "commission", now() - timedelta(hours=3))
    t = now() - timedelta(minutes=30)

    def scan(minute: int, where: tuple[float, float]) -> ScanIn:
        return ScanIn.model_validate(
            {
                "event_id": str(uuid.uuid4()),
                "payload": item["payload"],
                "checkpoint": "retail_receive",
                "scanned_at": (t + timedelta(minutes=minute)).isoformat(),
                "location": {"lat": where[0], "lon": where[1], "accuracy_m": 20},
            }
        )

    def groups(sh: Principal, hz: Principal) -> list[list[ScanRequest]]:
        requests = [ScanRequest(scan(0, SHANGHAI), sh), ScanRequest(scan(1, HANGZHOU), hz)]
        return [requests] if together else [[r] for r in requests]

    return _record_as_stores(world, module_dsn, groups)


def _record_as_stores(
    world: World,
    module_dsn: str,
    groups_of: Callable[[Principal, Principal], list[list[ScanRequest]]],
) -> list[Any]:
    """record_scans for each group of `groups_of(store-sh, store-hz)`, a transaction each."""
    app: Any = world.client.app

    async def record() -> list[Any]:
        conn = await asyncpg.connect(module_dsn)
        try:
            await _init_connection(conn)
            sh, hz = [
                await auth.authenticate(conn, world.tokens[who]["Authorization"].split()[1])
                for who in ("store-sh", "store-hz")
            ]
            outcomes = []
            for group in groups_of(sh, hz):
                async with conn.transaction():
                    outcomes += await record_scans(conn, app.state.keystore, group, app.state.risk)
            return outcomes
        finally:
            await conn.close()

    return run(record)


def _alert_types(db: SyncDb, alert_ids: list[str]) -> set[str]:
    rows = db.fetch("SELECT type FROM alerts WHERE id = ANY($1::uuid[])", alert_ids)
    return {r["type"] for r in rows}


@pytest.mark.parametrize("together", [False, True], ids=["one-by-one", "one-group"])
def test_a_group_sees_its_own_events_as_history(
    world: World, db: SyncDb, module_dsn: str, together: bool
) -> None:
    first, second = _two_stores_one_minute_apart(world, module_dsn, together)
    assert first.status == second.status == "created"
    assert "impossible_travel" in _alert_types(db, second.response["alert_ids"])
    stored = db.fetchval("SELECT response FROM scan_events WHERE event_id = $1", second.event_id)
    assert orjson.loads(stored)["alert_ids"] == second.response["alert_ids"]  # retries see them


BEIJING = (39.90, 116.40)


def _checked_in_two_cities(world: World, module_dsn: str, together: bool) -> str:
    """Two consumers check one code: in Shanghai, then in Beijing (a clone, medium)."""
    [item] = world.issue(1)
    world.ok("line", item["payload"], "commission", now() - timedelta(hours=3))
    app: Any = world.client.app
    policy = VerifyPolicy.from_settings(app.state.settings, app.state.keystore.pin_key)
    checks = [
        (VerifyRequest(item["payload"], GeoFix(*where, 20.0), f"{who}-{uuid.uuid4()}"), None)
        for who, where in (("sh", SHANGHAI), ("bj", BEIJING))
    ]

    async def verify() -> None:
        conn = await asyncpg.connect(module_dsn)
        try:
            await _init_connection(conn)
            regions, risk = app.state.risk.territories, app.state.risk
            groups = [checks] if together else [[c] for c in checks]
            for group in groups:
                async with conn.transaction():
                    verified = await verify_group(conn, app.state.keystore, regions, policy, group)
                    await store_group(conn, verified, risk)
        finally:
            await conn.close()

    run(verify)
    return item["code"]


@pytest.mark.parametrize("together", [False, True], ids=["one-by-one", "one-group"])
def test_a_group_of_consumer_checks_sees_its_own_checks(
    world: World, db: SyncDb, module_dsn: str, together: bool
) -> None:
    code = _checked_in_two_cities(world, module_dsn, together)
    rows = db.fetch(
        "SELECT type, severity FROM alerts a JOIN alert_codes m ON m.alert_id = a.id"
        " WHERE m.code = $1",
        code,
    )
    assert ("clone", "medium") in {(r["type"], r["severity"]) for r in rows}


def test_copies_of_one_event_id_from_two_parties_in_one_group(
    world: World, db: SyncDb, module_dsn: str
) -> None:
    """Two parties' scans with one event_id land in one commit group: the first is stored,
    the other is refused (409) and shown nothing of it."""
    [item, other] = world.issue(2)
    world.deliver(item["payload"])
    world.deliver(other["payload"])
    event_id = str(uuid.uuid4())

    def scan(payload: str) -> ScanIn:
        return ScanIn.model_validate(
            {
                "event_id": event_id,
                "payload": payload,
                "checkpoint": "retail_receive",
                "scanned_at": now().isoformat(),
            }
        )

    first, second = _record_as_stores(
        world,
        module_dsn,
        lambda sh, hz: [
            [ScanRequest(scan(item["payload"]), sh), ScanRequest(scan(other["payload"]), hz)]
        ],
    )
    assert first.status == "created" and first.response["code"] == item["code"]
    assert second.status == "rejected" and second.error is not None
    assert second.error.status == 409 and not second.response
    stored = db.fetch("SELECT code FROM scan_events WHERE event_id = $1", uuid.UUID(event_id))
    assert [r["code"] for r in stored] == [item["code"]]
