"""A round's alerts are stored in one statement: new ones with their "raise" line, merges
into open incidents adding only their new members, counts and grading kept exact."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from risk_engine import alerts, cases_repository, repository
from risk_engine.evidence import new_draft
from risk_engine.models import AlertDraft, AlertType, GeoFix, Severity
from risk_engine.rules.diversion import REASON_CONSUMER
from risk_engine.service import persist
from risk_engine.thresholds import RiskThresholds
from risk_engine.workflow import CaseAction, WorkCalendar
from traceability.auth.models import Principal, Role

T = RiskThresholds()
T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


def _clone(code: str, at: timedelta, event: str, witness: str) -> AlertDraft:
    return new_draft(
        AlertType.CLONE,
        Severity.MEDIUM,
        "too_many_checks",
        f"code {code} checked by many",
        at=T0 + at,
        subject=f"code:{code}",
        window=T.incident_window,
        codes=(code,),
        event_ids=[event],
        source="dealer-a",
        location=GeoFix(31.2, 121.4, 30.0),
        witnesses=frozenset({witness}),
    )


def _cluster(i: int, consumer: str, area: str = "chengdu") -> AlertDraft:
    """One consumer's check of one of dealer-b's codes, far outside its territory."""
    return new_draft(
        AlertType.DIVERSION,
        Severity.LOW,
        REASON_CONSUMER,
        "goods of dealer-b verified by consumers in Chengdu",
        at=T0 + timedelta(hours=i),
        subject=f"territory:{area}",
        window=T.consumer_cluster_window,
        codes=(f"code-{i}",),
        event_ids=[f"check-{i}"],
        source="dealer-b",
        expected=("shanghai",),
        witnesses=frozenset({f"consumer:{consumer}"}),
    )


async def _round(dsn: str, drafts: list[AlertDraft]) -> list[tuple[str, AlertDraft]]:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            return await persist(conn, drafts, T)
    finally:
        await conn.close()


async def _alert(dsn: str, alert_id: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await cases_repository.get_alert(conn, uuid.UUID(alert_id))
        assert row is not None
        found = dict(row)
        found["raised"] = await conn.fetchval(
            "SELECT count(*) FROM alert_history WHERE alert_id = $1 AND action = 'raise'",
            row["id"],
        )
        found["witnesses"] = [
            r["witness"]
            for r in await conn.fetch(
                "SELECT witness FROM alert_witnesses WHERE alert_id = $1 ORDER BY 1", row["id"]
            )
        ]
        found["counts"] = tuple(
            await conn.fetchrow(
                "SELECT n_codes, n_evidence, n_witnesses FROM alerts WHERE id = $1", row["id"]
            )
        )
        return found
    finally:
        await conn.close()


def test_new_and_merged_alerts_in_one_round(module_dsn: str) -> None:
    async def scenario() -> None:
        first = await _round(
            module_dsn,
            [
                _clone("code-a", timedelta(0), "e1", "consumer:c1"),
                _clone("code-b", timedelta(0), "e2", "consumer:c2"),
            ],
        )
        assert len({alert_id for alert_id, _ in first}) == 2
        # Next round: two drafts for code-a (deduplicated into one merge), a new code-c.
        second = await _round(
            module_dsn,
            [
                _clone("code-a", timedelta(hours=1), "e3", "consumer:c3"),
                _clone("code-a", timedelta(hours=2), "e4", "consumer:c4"),
                _clone("code-a", timedelta(hours=3), "e1", "consumer:c1"),  # known evidence
                _clone("code-c", timedelta(hours=1), "e5", "consumer:c5"),
            ],
        )
        a_id = next(i for i, d in first if d.codes == ("code-a",))
        assert a_id in {i for i, _ in second}
        merged = await _alert(module_dsn, a_id)
        assert merged["raised"] == 1  # a merge adds no "raise" line
        assert merged["codes"] == ["code-a"]
        assert merged["evidence_event_ids"] == ["e1", "e3", "e4"]  # first-seen order
        assert merged["witnesses"] == ["consumer:c1", "consumer:c3", "consumer:c4"]
        assert merged["counts"] == (1, 3, 3)
        assert (merged["first_seen"], merged["last_seen"]) == (T0, T0 + timedelta(hours=3))
        assert merged["updated_at"] > merged["created_at"]
        assert (merged["observed_lat"], merged["observed_lon"]) == (31.2, 121.4)
        c_id = next(i for i, d in second if d.codes == ("code-c",))
        fresh = await _alert(module_dsn, c_id)
        assert (fresh["raised"], fresh["evidence_event_ids"], fresh["counts"]) == (
            1,
            ["e5"],
            (1, 1, 1),
        )

    asyncio.run(scenario())


def test_a_consumer_cluster_is_graded_from_all_its_rounds(module_dsn: str) -> None:
    """One check per round: each round's draft alone is low, the incident's counts decide."""

    async def scenario() -> None:
        severities, summaries = [], []
        for i in range(T.consumer_cluster_high):
            [(alert_id, _)] = await _round(module_dsn, [_cluster(i, f"p{i}")])
            stored = await _alert(module_dsn, alert_id)
            severities.append(stored["severity"])
            summaries.append(stored["summary"])
        medium, high = T.consumer_cluster_medium, T.consumer_cluster_high
        assert severities == ["low"] * (medium - 1) + ["medium"] * (high - medium) + ["high"]
        assert summaries[-1].startswith(f"{high} distinct consumers verified {high} codes")
        # The same consumer again, with a code already counted: nothing grows.
        [(alert_id, _)] = await _round(module_dsn, [_cluster(0, "p0")])
        assert (await _alert(module_dsn, alert_id))["counts"] == (high, high, high)

    asyncio.run(scenario())


def test_a_round_without_alerts_writes_nothing(module_dsn: str) -> None:
    assert asyncio.run(_round(module_dsn, [])) == []


def test_a_case_locked_during_a_merge_sees_what_the_merge_added(module_dsn: str) -> None:
    """Confirming computes the penalty from the alert's codes: a merge that held the row
    must have its codes counted once the lock is granted."""

    async def scenario() -> None:
        [(alert_id, _)] = await _round(module_dsn, [_cluster(100, "q0", "xian")])
        merging = await asyncpg.connect(module_dsn)
        confirming = await asyncpg.connect(module_dsn)
        try:
            tx = merging.transaction()
            await tx.start()
            await persist(merging, [_cluster(101, "q1", "xian")], T)  # holds the alert row
            waiting = asyncio.ensure_future(_locked(confirming, alert_id))
            await asyncio.sleep(0.2)
            assert not waiting.done()  # the lock waits for the merge
            await tx.commit()
            assert await asyncio.wait_for(waiting, 5) == ["code-100", "code-101"]
        finally:
            await merging.close()
            await confirming.close()

    asyncio.run(scenario())


async def _locked(conn: asyncpg.Connection, alert_id: str) -> list[str]:
    async with conn.transaction():
        row = await cases_repository.get_alert(conn, uuid.UUID(alert_id), for_update=True)
        assert row is not None
        return list(row["codes"])


OFFICER = Principal(uuid.uuid4(), "officer", Role.COMPLIANCE, None, None)


def test_a_case_action_waits_for_a_merge_that_found_the_alert_open(module_dsn: str) -> None:
    """A merge that has read the alert as open, but not written yet, holds the incident's
    lock: an officer's action waits for it, then sees what it added (a review saw codes
    arrive in a confirmed alert after its penalty: the action did not take that lock)."""

    async def scenario() -> None:
        [(alert_id, draft)] = await _round(module_dsn, [_cluster(200, "r0", "lanzhou")])
        merging = await asyncpg.connect(module_dsn)
        acting = await asyncpg.connect(module_dsn)
        try:
            tx = merging.transaction()
            await tx.start()
            await repository.lock_incidents(merging, [draft.incident_key])  # persist's start
            action = asyncio.ensure_future(_act(acting, alert_id, CaseAction.INVESTIGATE))
            await asyncio.sleep(0.2)
            assert not action.done()  # waits for the merge, which has written nothing yet
            await persist(merging, [_cluster(201, "r1", "lanzhou")], T)
            await tx.commit()
            acted = await asyncio.wait_for(action, 5)
            assert (acted["status"], acted["codes"]) == ("investigating", ["code-200", "code-201"])
        finally:
            await merging.close()
            await acting.close()

    asyncio.run(scenario())


def test_a_merge_after_a_closing_action_opens_a_new_alert(module_dsn: str) -> None:
    async def scenario() -> None:
        [(alert_id, _)] = await _round(module_dsn, [_cluster(300, "s0", "xining")])
        acting = await asyncpg.connect(module_dsn)
        try:
            tx = acting.transaction()
            await tx.start()
            await alerts.perform(
                acting, OFFICER, uuid.UUID(alert_id), CaseAction.DISMISS, "no", CALENDAR
            )
            merge = asyncio.ensure_future(_round(module_dsn, [_cluster(301, "s1", "xining")]))
            await asyncio.sleep(0.2)
            assert not merge.done()  # the incident is locked until the dismissal commits
            await tx.commit()
            [(merged_into, _)] = await asyncio.wait_for(merge, 5)
            assert merged_into != alert_id
            assert (await _alert(module_dsn, alert_id))["codes"] == ["code-300"]
        finally:
            await acting.close()

    asyncio.run(scenario())


CALENDAR = WorkCalendar()


async def _act(conn: asyncpg.Connection, alert_id: str, action: CaseAction) -> dict[str, Any]:
    async with conn.transaction():
        return await alerts.perform(conn, OFFICER, uuid.UUID(alert_id), action, "look", CALENDAR)
