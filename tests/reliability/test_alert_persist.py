"""A round's alerts are stored in one statement: new ones with their "raise" line, merges
into open incidents without one, every array intact."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from risk_engine.evidence import new_draft
from risk_engine.models import AlertDraft, AlertType, GeoFix, Severity
from risk_engine.service import persist
from risk_engine.thresholds import RiskThresholds

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


async def _round(dsn: str, drafts: list[AlertDraft]) -> list[tuple[str, AlertDraft]]:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            return await persist(conn, drafts, T)
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
        # Next round: two drafts for code-a (one merge, deduplicated), a new incident for code-c.
        second = await _round(
            module_dsn,
            [
                _clone("code-a", timedelta(hours=1), "e3", "consumer:c3"),
                _clone("code-a", timedelta(hours=2), "e4", "consumer:c4"),
                _clone("code-c", timedelta(hours=1), "e5", "consumer:c5"),
            ],
        )
        a_id = next(i for i, d in first if d.codes == ("code-a",))
        assert a_id in {i for i, _ in second}
        conn = await asyncpg.connect(module_dsn)
        try:
            rows = {
                r["codes"][0]: r
                for r in await conn.fetch(
                    "SELECT a.*, (SELECT count(*) FROM alert_history h WHERE h.alert_id = a.id"
                    " AND h.action = 'raise') AS raised FROM alerts a"
                )
            }
        finally:
            await conn.close()
        assert set(rows) == {"code-a", "code-b", "code-c"}
        assert all(r["raised"] == 1 for r in rows.values())  # merges add no "raise" line
        merged = rows["code-a"]
        assert str(merged["id"]) == a_id
        assert merged["evidence_event_ids"] == ["e1", "e3", "e4"]
        assert merged["witnesses"] == ["consumer:c1", "consumer:c3", "consumer:c4"]
        assert merged["last_seen"] == T0 + timedelta(hours=2)
        assert merged["first_seen"] == T0
        assert merged["updated_at"] > merged["created_at"]
        assert (merged["observed_lat"], merged["observed_lon"]) == (31.2, 121.4)
        assert rows["code-c"]["evidence_event_ids"] == ["e5"]

    asyncio.run(scenario())


def test_a_round_without_alerts_writes_nothing(module_dsn: str) -> None:
    assert asyncio.run(_round(module_dsn, [])) == []
