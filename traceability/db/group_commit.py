"""Group commit: concurrent requests share one transaction and one COMMIT.

A request submits a job and waits. A worker takes every waiting job, runs the group's work in
one transaction, COMMITs, and only then resolves each job's future: nothing is acknowledged
before its commit. If the group's transaction fails, each job is retried alone in a
transaction of its own, so one job can never sink the others. Durable commits (fsync) are the
scarce resource under load; sharing them is what makes small writes fast.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import asyncpg

from traceability.db.pool import connection
from traceability.errors import Unavailable

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")

# The group's work: one result per job, in order, inside the transaction it is given.
GroupWork = Callable[[asyncpg.Connection, Sequence[J]], Awaitable[Sequence[R]]]


class _Pending(Generic[J, R]):
    __slots__ = ("done", "job")

    def __init__(self, job: J) -> None:
        self.job = job
        self.done: asyncio.Future[R] = asyncio.get_running_loop().create_future()


class GroupCommit(Generic[J, R]):
    def __init__(
        self,
        pool: asyncpg.Pool,
        work: GroupWork[J, R],
        workers: int = 2,
        max_group: int = 256,
        max_waiting: int = 10_000,
    ) -> None:
        self.pool = pool
        self.work = work
        self.max_group = max_group
        # Backpressure: past this many waiting jobs, new ones are refused (503) at once
        # instead of queueing without bound while every caller's latency grows.
        self.queue: asyncio.Queue[_Pending[J, R]] = asyncio.Queue(max_waiting)
        self.tasks = [asyncio.create_task(self._run()) for _ in range(workers)]

    async def submit(self, job: J) -> R:
        pending: _Pending[J, R] = _Pending(job)
        try:
            self.queue.put_nowait(pending)
        except asyncio.QueueFull:
            raise Unavailable("too many writes are waiting; retry shortly", 1) from None
        return await pending.done

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        while not self.queue.empty():
            self._fail([self.queue.get_nowait()], ConnectionError("server shutting down"))

    async def _run(self) -> None:
        while True:
            group = [await self.queue.get()]
            while len(group) < self.max_group and not self.queue.empty():
                group.append(self.queue.get_nowait())
            try:
                await self._commit(group)
            except asyncio.CancelledError:
                self._fail(group, ConnectionError("server shutting down"))
                raise
            except Exception as exc:
                await self._one_by_one(group, exc)

    async def _one_by_one(self, group: list[_Pending[J, R]], exc: Exception) -> None:
        if len(group) == 1:
            self._fail(group, exc)
            return
        log.warning("group of %d failed (%s); retrying alone", len(group), type(exc).__name__)
        for pending in group:
            try:
                await self._commit([pending])
            except Exception as single:
                self._fail([pending], single)

    async def _commit(self, group: list[_Pending[J, R]]) -> None:
        async with connection(self.pool) as conn, conn.transaction():
            results = await self.work(conn, [p.job for p in group])
            # Committed: now, and only now, the callers get their answers.
        for pending, result in zip(group, results, strict=True):
            if not pending.done.done():
                pending.done.set_result(result)

    @staticmethod
    def _fail(group: Sequence[_Pending[J, R]], exc: BaseException) -> None:
        for pending in group:
            if not pending.done.done():
                pending.done.set_exception(exc)
