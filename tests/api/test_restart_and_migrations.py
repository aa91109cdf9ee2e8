"""Durability across restarts of the embedded server, and concurrent migration runs."""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from starlette.testclient import TestClient

from scan_api.app import create_app
from tests.pg import create_database_from, drop_database, run, with_database
from traceability.auth.bootstrap import first_admin_token
from traceability.config import Settings
from traceability.db import migrate
from traceability.db.migrate import apply_migrations, latest_version
from traceability.db.runtime import database_url, run_with_connection


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="exercises the embedded server")
def test_data_survives_a_restart_of_app_and_embedded_postgres(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", log_level="WARNING")
    with database_url(settings) as dsn:
        token = run_with_connection(dsn, first_admin_token)
    assert token is not None
    headers = {"Authorization": f"Bearer {token}"}
    body = {"name": "Tea", "unit_value": "12.50", "currency": "CNY"}
    with TestClient(create_app(settings)) as client:
        assert (
            client.put("/v1/products/5901234123457", json=body, headers=headers).status_code == 201
        )
    # The app stopped the embedded server on shutdown; a new app starts it again on the same data.
    assert not (settings.pg_data_dir / "postmaster.pid").exists()
    with TestClient(create_app(settings)) as client:
        stored = client.get("/v1/products/5901234123457", headers=headers)
        assert stored.status_code == 200
        assert stored.json()["unit_value"] == "12.50"
        with database_url(settings) as dsn:
            assert run_with_connection(dsn, first_admin_token) is None  # not a new database


def test_concurrent_migration_runs_apply_each_version_once(
    pg_admin_dsn: str, pg_template: str
) -> None:
    name = create_database_from(pg_admin_dsn, "template0")
    dsn = with_database(pg_admin_dsn, name)

    async def migrate_once() -> list[str]:
        conn = await asyncpg.connect(dsn)
        try:
            return await apply_migrations(conn)
        finally:
            await conn.close()

    async def race() -> list[list[str]]:
        return list(await asyncio.gather(*(migrate_once() for _ in range(4))))

    try:
        results = run(race)
        applied = [names for names in results if names]
        assert len(applied) == 1, results  # one run applied everything, the others found it done

        async def versions() -> list[int]:
            conn = await asyncpg.connect(dsn)
            try:
                rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
                return [r["version"] for r in rows]
            finally:
                await conn.close()

        found = run(versions)
        assert found == sorted(set(found))
        assert found[-1] == latest_version()
    finally:
        drop_database(pg_admin_dsn, name)


def test_alert_members_move_out_of_their_arrays(
    pg_admin_dsn: str, pg_template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0008: an alert stored with member arrays keeps every member, in order, and its counts."""
    name = create_database_from(pg_admin_dsn, "template0")
    dsn = with_database(pg_admin_dsn, name)
    before = [m for m in migrate.load_migrations() if m.version < 8]

    async def scenario() -> tuple[list[str], list[str], list[str], tuple[int, int, int]]:
        conn = await asyncpg.connect(dsn)
        try:
            with monkeypatch.context() as patched:
                patched.setattr(migrate, "load_migrations", lambda: before)
                await apply_migrations(conn)
            alert_id = await conn.fetchval(
                """INSERT INTO alerts (id, type, severity, reason, summary, incident_key,
                                       first_seen, last_seen, window_s, codes,
                                       evidence_event_ids, witnesses)
                   VALUES (gen_random_uuid(), 'clone', 'high', 'r', 's', 'clone|-|code:x',
                           now(), now(), 60, ARRAY['z', 'a', 'm'], ARRAY['e2', 'e1'],
                           ARRAY['consumer:b', 'consumer:a'])
                   RETURNING id"""
            )
            applied = await apply_migrations(conn)
            assert applied[0].startswith("0008_")  # and whatever came after it
            codes = [r[0] for r in await conn.fetch("SELECT code FROM alert_codes ORDER BY seq")]
            events = [
                r[0] for r in await conn.fetch("SELECT event_id FROM alert_evidence ORDER BY seq")
            ]
            witnesses = [
                r[0] for r in await conn.fetch("SELECT witness FROM alert_witnesses ORDER BY 1")
            ]
            counts = await conn.fetchrow(
                "SELECT n_codes, n_evidence, n_witnesses FROM alerts WHERE id = $1", alert_id
            )
            return codes, events, witnesses, tuple(counts)
        finally:
            await conn.close()

    try:
        assert run(scenario) == (
            ["z", "a", "m"],
            ["e2", "e1"],
            ["consumer:a", "consumer:b"],
            (3, 2, 2),
        )
    finally:
        drop_database(pg_admin_dsn, name)


def test_a_penalty_confirmed_before_0015_moves_into_the_list(
    pg_admin_dsn: str, pg_template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0015: the one-currency penalty columns become `penalties`, then go."""
    name = create_database_from(pg_admin_dsn, "template0")
    dsn = with_database(pg_admin_dsn, name)
    before = [m for m in migrate.load_migrations() if m.version < 15]

    async def scenario() -> tuple[object, object]:
        conn = await asyncpg.connect(dsn)
        try:
            with monkeypatch.context() as patched:
                patched.setattr(migrate, "load_migrations", lambda: before)
                await apply_migrations(conn)
            fined, clean = [
                await conn.fetchval(
                    """INSERT INTO alerts (id, type, severity, reason, summary, incident_key,
                                           first_seen, last_seen, window_s, status,
                                           penalty_amount, penalty_currency)
                       VALUES (gen_random_uuid(), 'diversion', 'high', 'r', 's', $1, now(),
                               now(), 60, 'confirmed', $2, $3)
                       RETURNING id""",
                    key,
                    amount,
                    currency,
                )
                for key, amount, currency in (("k1", Decimal("37.5"), "CNY"), ("k2", None, None))
            ]
            assert (await apply_migrations(conn))[0].startswith("0015_")
            found = await conn.fetch(
                "SELECT penalties::text FROM alert_cases WHERE id = ANY($1::uuid[]) ORDER BY id",
                [fined, clean],
            )
            by_id = dict(zip(sorted([fined, clean]), (r[0] for r in found), strict=True))
            return by_id[fined], by_id[clean]
        finally:
            await conn.close()

    try:
        fined, clean = run(scenario)
        assert fined == '[{"amount": "37.50", "currency": "CNY"}]' and clean is None
    finally:
        drop_database(pg_admin_dsn, name)
