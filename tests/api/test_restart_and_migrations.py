"""Durability across restarts of the embedded server, and concurrent migration runs."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
import pytest
from starlette.testclient import TestClient

from scan_api.app import create_app
from tests.pg import create_database_from, drop_database, run, with_database
from traceability.auth.bootstrap import first_admin_token
from traceability.config import Settings
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
