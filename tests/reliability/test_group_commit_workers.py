"""Group-commit workers on a real PostgreSQL: filling groups, shutdown, idle connections."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg
import pytest

from traceability.db import group_commit
from traceability.db.group_commit import GroupCommit


async def _run(dsn: str, scenario: object) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    assert pool is not None
    try:
        await scenario(pool)  # type: ignore[operator]
    finally:
        await asyncio.wait_for(pool.close(), 10)  # would hang if a worker kept a connection


def test_shutdown_answers_a_job_taken_while_its_group_was_filling(module_dsn: str) -> None:
    async def scenario(pool: asyncpg.Pool) -> None:
        started, release = asyncio.Event(), asyncio.Event()

        async def work(conn: asyncpg.Connection, jobs: Sequence[int]) -> list[int]:
            started.set()
            await release.wait()  # the first group stays "being worked on"
            return [await conn.fetchval("SELECT $1::int", j) for j in jobs]

        committer: GroupCommit[int, int] = GroupCommit(pool, work, fill_wait_s=30)
        first = asyncio.ensure_future(committer.submit(1))
        await started.wait()
        second = asyncio.ensure_future(committer.submit(2))  # waits to fill behind the first
        await asyncio.sleep(0.05)
        assert not second.done()
        await asyncio.wait_for(committer.close(), 5)
        for future in (first, second):
            with pytest.raises(ConnectionError):
                await asyncio.wait_for(future, 1)  # answered, never left hanging

    asyncio.run(_run(module_dsn, scenario))


@pytest.mark.parametrize("fill_wait_s", [0.0, 1.0])  # the default (one loop turn) and a timed wait
def test_groups_fill_while_another_runs_and_a_lone_job_starts_at_once(
    module_dsn: str, fill_wait_s: float
) -> None:
    async def scenario(pool: asyncpg.Pool) -> None:
        sizes: list[int] = []

        async def work(conn: asyncpg.Connection, jobs: Sequence[int]) -> list[int]:
            sizes.append(len(jobs))
            await conn.execute("SELECT pg_sleep(0.05)")
            return [j * 10 for j in jobs]

        committer: GroupCommit[int, int] = GroupCommit(pool, work, fill_wait_s=fill_wait_s)
        assert await asyncio.wait_for(committer.submit(1), 1) == 10  # alone: no fill wait
        first = asyncio.ensure_future(committer.submit(2))
        await asyncio.sleep(0.01)  # its group is being worked on now
        rest = [asyncio.ensure_future(committer.submit(n)) for n in range(3, 9)]
        assert await asyncio.gather(first, *rest) == [n * 10 for n in range(2, 9)]
        # The six jobs that came while a group ran went as one group, not one by one.
        assert sizes == [1, 1, 6]
        await committer.close()

    asyncio.run(_run(module_dsn, scenario))


def test_an_idle_worker_hands_its_connection_back(
    module_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(group_commit, "IDLE_RELEASE_S", 0.05)

    async def scenario(pool: asyncpg.Pool) -> None:
        async def work(conn: asyncpg.Connection, jobs: Sequence[int]) -> list[int]:
            return [await conn.fetchval("SELECT $1::int", j) for j in jobs]

        committer: GroupCommit[int, int] = GroupCommit(pool, work)
        assert await committer.submit(7) == 7
        assert pool.get_idle_size() < pool.get_size()  # held between groups
        await asyncio.sleep(0.3)
        assert pool.get_idle_size() == pool.get_size()  # handed back while idle
        assert await committer.submit(8) == 8  # and taken again when work comes
        await committer.close()

    asyncio.run(_run(module_dsn, scenario))


def test_a_group_of_one_is_retried_once_after_a_transient_failure(module_dsn: str) -> None:
    async def scenario(pool: asyncpg.Pool) -> None:
        calls: list[int] = []

        async def work(conn: asyncpg.Connection, jobs: Sequence[int]) -> list[int]:
            calls.append(len(jobs))
            if len(calls) == 1 or jobs[0] == 99:
                raise group_commit.RetryAlone("saw a stale read")
            return [await conn.fetchval("SELECT $1::int", j) for j in jobs]

        committer: GroupCommit[int, int] = GroupCommit(pool, work)
        assert await asyncio.wait_for(committer.submit(5), 5) == 5
        assert calls == [1, 1]  # failed, then once more alone
        with pytest.raises(group_commit.RetryAlone):
            await asyncio.wait_for(committer.submit(99), 5)  # once only: no endless retries
        assert calls == [1, 1, 1, 1]
        await committer.close()

    asyncio.run(_run(module_dsn, scenario))
