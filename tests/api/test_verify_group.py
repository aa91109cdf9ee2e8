"""The group path answers exactly like checking one request after another."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import asyncpg
import orjson
import pytest
from starlette.testclient import TestClient

from risk_engine.models import GeoFix
from risk_engine.territories import TerritoryCache
from scan_api.verify import repository
from scan_api.verify.decide import VerifyPolicy
from scan_api.verify.models import VerifyRequest
from scan_api.verify.service import store_group, verify_code, verify_group
from tests.api import test_verify
from tests.api.test_verify import BEIJING, IN_HZ, IN_SH, commissioned, inner_item
from tests.pg import SyncDb, run
from tests.world import World, tamper
from traceability.config import Settings
from traceability.db.pool import _init_connection

# The endpoint tests' module fixtures: the same settings (3 claims a day, 2 regions, 3 pins).
settings, inner_world = test_verify.settings, test_verify.inner_world


def _req(payload: str, consumer: str | None, loc: Any = IN_SH, pin: str | None = None) -> Any:
    fix = GeoFix(loc[0], loc[1], 15.3) if loc is not None else None
    return VerifyRequest(payload=payload, location=fix, consumer_id=consumer, pin=pin)


def _scenario(world: World, db: SyncDb, who: str) -> list[VerifyRequest]:
    """Fresh codes and consumers; repeats, caps, regions, pins, cases and junk in one group."""
    a, b, c, d, e = commissioned(world, 5)
    [case] = commissioned(world, 1, level="case")
    pinned = inner_item(world, db)
    one, two, far = f"{who}-1", f"{who}-2", f"{who}-3"
    return [
        _req(a, one),
        _req(a, two, IN_HZ),  # second check: counted, no points
        _req(b, one, IN_HZ),
        _req(c, one, None),
        _req(d, one),  # daily limit (3 in this module)
        _req(b, None, None),
        _req(e, far, IN_SH),
        _req(tamper(e), far, BEIJING),
        _req(case, two),
        _req("junk", two),
        *[_req(pinned, far, pin=guess) for guess in ("0000", "1111", "2222")],
        _req(pinned, two, IN_HZ, pin="AB12-CD34"),  # locked by the guesses
        _req(a, one, BEIJING),
    ]


def _without_times(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in a.items() if k != "first_verified_at"} for a in answers]


def test_a_group_answers_like_checks_one_by_one(
    inner_world: World, db: SyncDb, settings: Settings, module_dsn: str
) -> None:
    app: Any = inner_world.client.app
    store, policy = (
        app.state.keystore,
        VerifyPolicy.from_settings(settings, app.state.keystore.pin_key),
    )
    one_by_one = _scenario(inner_world, db, "seq")
    grouped = _scenario(inner_world, db, "grp")
    ids = [uuid.uuid4() for _ in grouped]

    async def check() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        conn = await asyncpg.connect(module_dsn)
        try:
            await _init_connection(conn)
            regions = TerritoryCache()
            seq = []
            for req in one_by_one:
                async with conn.transaction():
                    seq.append(await verify_code(conn, store, regions, policy, req))
            async with conn.transaction():
                jobs = [(req, ids[i]) for i, req in enumerate(grouped)]
                verified = await verify_group(conn, store, regions, policy, jobs)
                await store_group(conn, verified, None)
                group = verified.answers
            return seq, group
        finally:
            await conn.close()

    seq, group = run(check)
    assert _without_times(group) == _without_times(seq)
    assert [a["points_awarded"] for a in group] == [10, 0, 10, 10, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0]
    stored = db.fetch(
        "SELECT response FROM scan_events WHERE event_id = ANY($1::uuid[]) ORDER BY scanned_at",
        ids,
    )
    assert [orjson.loads(r["response"]) for r in stored] == group  # stored as answered
    assert [a["verification_count"] for a in group][::14] == [1, 3]
    claims = db.fetchval("SELECT count(*) FROM loyalty_claims WHERE consumer_id LIKE 'grp-%'")
    assert claims == sum(1 for a in group if a["points_awarded"])


def test_a_group_of_one_through_the_endpoint(inner_world: World, client: TestClient) -> None:
    [payload] = commissioned(inner_world)
    body = {"payload": payload, "consumer_id": "solo", "location": {"lat": 31.2, "lon": 121.4}}
    first = client.post("/v1/verify", json=body).json()
    again = client.post("/v1/verify", json=body).json()
    assert (first["points_awarded"], again["points_awarded"]) == (10, 0)
    assert again["verification_count"] == 2


def test_a_claim_its_lock_should_have_kept_out_fails_the_group_and_is_retried_alone(
    inner_world: World, client: TestClient, db: SyncDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The impossible race, forced: the group's read misses the code's stored check and claim
    once. The merged insert notices, the group rolls back, and the check retried alone (with
    what is really stored) pays nothing twice."""
    [payload] = commissioned(inner_world)
    body = {"payload": payload, "consumer_id": "winner", "location": {"lat": 31.2, "lon": 121.4}}
    assert client.post("/v1/verify", json=body).json()["points_awarded"] == 10
    real, blinded = repository.history, []

    async def blind_once(*args: Any) -> repository.History:
        found = await real(*args)
        if not blinded:
            blinded.append(set(found.claimed))
            found.claimed.clear()
            found.checks.clear()
        return found

    monkeypatch.setattr(repository, "history", blind_once)
    late = client.post("/v1/verify", json={**body, "consumer_id": "late"}).json()
    assert blinded and blinded[0]  # the first read really hid the winner's claim
    assert (late["points_awarded"], late["verification_count"]) == (0, 2)
    assert late["loyalty_reason"] == "already_claimed"
    code = db.fetchval("SELECT code FROM codes WHERE payload = $1", payload)
    claims = db.fetch("SELECT consumer_id FROM loyalty_claims WHERE code = $1", code)
    assert [r["consumer_id"] for r in claims] == ["winner"]
    checks = db.fetchval(
        "SELECT count(*) FROM scan_events WHERE code = $1 AND checkpoint = 'consumer_verify'", code
    )
    assert checks == 2  # the failed group stored nothing; its retry stored the check once


def test_concurrent_groups_over_the_same_codes_and_consumers_never_deadlock(
    world: World, db: SyncDb, settings: Settings, module_dsn: str
) -> None:
    """Groups on six connections, each wanting the same codes and consumers in its own order:
    the one lock statement (codes, then consumers) lets them queue, never deadlock, and the
    points stay once per code and within the daily limit."""
    app: Any = world.client.app
    store, policy = (
        app.state.keystore,
        VerifyPolicy.from_settings(settings, app.state.keystore.pin_key),
    )
    payloads = commissioned(world, 6)
    consumers = ["herd-1", "herd-2", "herd-3"]
    rng = random.Random(4)
    groups = []
    for _ in range(12):
        jobs = [(_req(p, rng.choice(consumers), None), None) for p in payloads]
        rng.shuffle(jobs)
        groups.append(jobs)

    async def one(jobs: list[Any]) -> list[dict[str, Any]]:
        conn = await asyncpg.connect(module_dsn)
        try:
            await _init_connection(conn)
            async with conn.transaction():
                verified = await verify_group(conn, store, TerritoryCache(), policy, jobs)
                await store_group(conn, verified, None)
            return verified.answers
        finally:
            await conn.close()

    async def race() -> list[list[dict[str, Any]]]:
        answers = []
        for start in range(0, len(groups), 6):
            answers += await asyncio.gather(*(one(g) for g in groups[start : start + 6]))
        return answers

    answers = run(race)
    paid = sum(a["points_awarded"] for group in answers for a in group)
    codes = db.fetchval(
        "SELECT count(DISTINCT code) FROM loyalty_claims WHERE consumer_id LIKE 'herd-%'"
    )
    claims = db.fetch(
        "SELECT consumer_id, count(*) AS n FROM loyalty_claims WHERE consumer_id LIKE 'herd-%' "
        "GROUP BY consumer_id"
    )
    assert paid == 10 * codes and codes == sum(r["n"] for r in claims)  # once per code
    assert codes >= 2  # first checks paid (one consumer can hit its limit of 3 first)
    assert all(r["n"] <= 3 for r in claims)  # the daily limit held across the groups
    checks = [a["verification_count"] for group in answers for a in group]
    assert sorted(checks) == sorted(n for n in range(1, 13) for _ in payloads)


def test_a_group_that_waited_for_a_code_sees_the_checks_of_the_group_it_waited_for(
    world: World, settings: Settings, module_dsn: str
) -> None:
    """The reads come after the locks: a group that queued behind another on a code reads
    the check and claim that group committed meanwhile (not a snapshot from before its wait),
    so the count goes on and the points are not paid twice."""
    app: Any = world.client.app
    store, policy = (
        app.state.keystore,
        VerifyPolicy.from_settings(settings, app.state.keystore.pin_key),
    )
    [payload] = commissioned(world)

    async def connect() -> asyncpg.Connection:
        conn = await asyncpg.connect(module_dsn)
        await _init_connection(conn)
        return conn

    async def race() -> tuple[dict[str, Any], dict[str, Any], bool]:
        first, second = await connect(), await connect()
        try:
            holding = first.transaction()
            await holding.start()
            early = await verify_group(
                first, store, TerritoryCache(), policy, [(_req(payload, "early"), None)]
            )
            await store_group(first, early, None)

            async def queued() -> dict[str, Any]:
                async with second.transaction():
                    late = await verify_group(
                        second, store, TerritoryCache(), policy, [(_req(payload, "late"), None)]
                    )
                    await store_group(second, late, None)
                return late.answers[0]

            waiting = asyncio.ensure_future(queued())
            await asyncio.sleep(0.3)
            waited = not waiting.done()
            await holding.commit()
            return early.answers[0], await waiting, waited
        finally:
            await first.close()
            await second.close()

    early, late, waited = run(race)
    assert waited  # the second group really queued on the code's lock
    assert (early["verification_count"], early["points_awarded"]) == (1, 10)
    assert (late["verification_count"], late["points_awarded"]) == (2, 0)
    assert late["loyalty_reason"] == "already_claimed"
