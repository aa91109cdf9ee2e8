"""CPU work beside a query in flight: both results, and a free connection after an error."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from traceability.db.meanwhile import meanwhile, settled


async def _with_conn(dsn: str) -> asyncpg.Connection:
    return await asyncpg.connect(dsn)


def test_the_work_runs_while_the_query_is_out(module_dsn: str) -> None:
    async def scenario() -> None:
        conn = await _with_conn(module_dsn)
        try:
            seen: list[bool] = []
            query = conn.fetchval("SELECT 7 FROM pg_sleep(0.05)")
            work, answer = await meanwhile(query, lambda: seen.append(conn.is_in_transaction()))
            assert (work, answer, seen) == (None, 7, [False])
        finally:
            await conn.close()

    asyncio.run(scenario())


def test_an_error_in_the_work_leaves_the_connection_free(module_dsn: str) -> None:
    async def scenario() -> None:
        conn = await _with_conn(module_dsn)
        try:
            with pytest.raises(ZeroDivisionError):
                await meanwhile(conn.fetchval("SELECT pg_sleep(0.05)"), lambda: 1 // 0)
            assert await conn.fetchval("SELECT 1") == 1  # not "another operation in progress"
            reading = asyncio.ensure_future(conn.fetchval("SELECT pg_sleep(0.05)"))
            with pytest.raises(KeyError):
                async with settled(reading):
                    raise KeyError("decided nothing")
            assert reading.done()
            assert await conn.fetchval("SELECT 2") == 2
        finally:
            await conn.close()

    asyncio.run(scenario())
