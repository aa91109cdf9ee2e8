"""The embedded PostgreSQL runs with our settings (traceability/db/embedded.py)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
import pytest
from pydantic import ValidationError

from traceability.config import Settings
from traceability.db.embedded import CONF_FILE, SHARED_BUFFERS, write_conf


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="an external server is its own")
def test_the_embedded_server_starts_with_our_buffer_cache(pg_admin_dsn: str) -> None:
    async def shown() -> str:
        conn = await asyncpg.connect(pg_admin_dsn)
        try:
            value: str = await conn.fetchval("SHOW shared_buffers")
            return value
        finally:
            await conn.close()

    assert asyncio.run(shown()) == SHARED_BUFFERS == "512MB"  # PostgreSQL's own: 128MB


def test_settings_are_written_once_and_replaced_on_the_next_start(tmp_path: Path) -> None:
    main_conf = tmp_path / "postgresql.conf"
    main_conf.write_text("max_connections = 100\n")
    write_conf(tmp_path, {"shared_buffers": "512MB"})
    write_conf(tmp_path, {"shared_buffers": "1GB"})
    assert main_conf.read_text().count(f"include_if_exists '{CONF_FILE}'") == 1
    assert main_conf.read_text().startswith("max_connections = 100\n")
    assert (tmp_path / CONF_FILE).read_text() == "shared_buffers = '1GB'\n"


@pytest.mark.parametrize("value", ["512", "lots", "0MB", "512MB'; fsync = 'off", "1TB"])
def test_a_buffer_cache_setting_postgresql_would_not_take_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(embedded_shared_buffers=value)
