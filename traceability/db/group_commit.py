"""Group commit: concurrent requests share one transaction and one COMMIT.

A request submits a job and waits. A worker takes every waiting job, runs the group's work in
one transaction, COMMITs, and only then resolves each job's future: nothing is acknowledged
before its commit. If the group's transaction fails, each job is retried alone in a
transaction of its own, so one job can never sink the others. Durable commits (fsync) are the
scarce resource under load; sharing them is what makes small writes fast.

Most of a group's cost is per group (round trips, BEGIN/COMMIT), so bigger groups are cheaper
per job: while one worker's group is being worked on, the next worker first lets the requests
already read off the sockets join (one turn of the event loop), or, with `fill_wait_s` > 0,
waits up to that long for the other group to finish. With nothing in progress a job starts at
once, so a lone request never waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar, cast

import asyncpg
from asyncpg import Connection
from asyncpg.pool import PoolConnectionProxy

from traceability.errors import Unavailable

log = logging.getLogger(__name__)

# A worker that had nothing to do for this long hands its connection back to the pool.
IDLE_RELEASE_S = 1.0

J = TypeVar("J")
R = TypeVar("R")
T = TypeVar("T")

# The group's work: one result per job, in order, inside the transaction it is given.
GroupWork = Callable[[asyncpg.Connection, Sequence[J]], Awaitable[Sequence[R]]]


class RetryAlone(Exception):
    """Raised by a group's work when the same work in a fresh transaction sees what this one
    missed: each job is retried alone, a group of one too (once)."""


# Failures that a fresh transaction can get past, even for a group of one.
TRANSIENT = (
    RetryAlone,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)


class _Pending(Generic[J, R]):
    __slots__ = ("done", "job")

    def __init__(self, job: J) -> None:
        self.job = job
        self.done: asyncio.Future[R] = asyncio.get_running_loop().create_future()


class _Held:
    """A worker's connection, taken when needed, kept until a group fails or it is idle.

    Acquiring and releasing per group cost as much as a query (asyncpg resets a connection
    with a round trip on every release).
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.proxy: PoolConnectionProxy | None = None

    async def get(self) -> Connection:
        if self.proxy is None:
            self.proxy = await self.pool.acquire()
        return cast(Connection, self.proxy)

    async def release(self) -> None:
        proxy, self.proxy = self.proxy, None
        if proxy is not None:
            with contextlib.suppress(Exception):
                await self.pool.release(proxy, timeout=5)


async def _waiting(held: _Held, wait: Callable[[], Awaitable[T]]) -> T:
    """Wait for `wait()`; a worker idle for IDLE_RELEASE_S hands its connection back meanwhile."""
    try:
        return await asyncio.wait_for(wait(), IDLE_RELEASE_S)
    except TimeoutError:
        await held.release()  # idle: the pool (and its close) gets it back
        return await wait()


class GroupCommit(Generic[J, R]):
    def __init__(
        self,
        pool: asyncpg.Pool,
        work: GroupWork[J, R],
        workers: int = 2,
        max_group: int = 256,
        max_waiting: int = 10_000,
        fill_wait_s: float = 0.0,
    ) -> None:
        self.pool = pool
        self.work = work
        self.max_group = max_group
        self.fill_wait_s = fill_wait_s
        # Backpressure: past this many waiting jobs, new ones are refused (503) at once
        # instead of queueing without bound while every caller's latency grows.
        self.queue: asyncio.Queue[_Pending[J, R]] = asyncio.Queue(max_waiting)
        self.working = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self.collecting = asyncio.Lock()
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

    async def _collect(self, held: _Held, group: list[_Pending[J, R]]) -> None:
        """Take the next group. One worker collects at a time: a worker that just finished
        must not take the jobs another one has been letting fill."""
        if self.collecting.locked():
            await _waiting(held, self.collecting.acquire)
        else:
            await self.collecting.acquire()
        try:
            if self.queue.empty():
                group.append(await _waiting(held, self.queue.get))
            else:
                group.append(self.queue.get_nowait())
            await self._fill(group)
        finally:
            self.collecting.release()

    async def _fill(self, group: list[_Pending[J, R]]) -> None:
        if self.working and self.queue.qsize() < self.max_group:
            # Another group is being worked on: this one fills meanwhile. A timed wait kept the
            # API idle while the other group waited on PostgreSQL (docs/decisions.md).
            if self.fill_wait_s > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.idle.wait(), self.fill_wait_s)
            else:
                await asyncio.sleep(0)
        while len(group) < self.max_group and not self.queue.empty():
            group.append(self.queue.get_nowait())

    async def _run(self) -> None:
        held = _Held(self.pool)
        try:
            while True:
                group: list[_Pending[J, R]] = []
                try:
                    await self._collect(held, group)
                    await self._commit(held, group)
                except asyncio.CancelledError:  # shutdown: no job taken is left unanswered
                    self._fail(group, ConnectionError("server shutting down"))
                    raise
                except Exception as exc:
                    await held.release()  # it may be broken (server restart): start afresh
                    await self._one_by_one(held, group, exc)
        finally:
            await held.release()

    async def _one_by_one(self, held: _Held, group: list[_Pending[J, R]], exc: Exception) -> None:
        if len(group) == 1 and not isinstance(exc, TRANSIENT):
            self._fail(group, exc)
            return
        log.warning("group of %d failed (%s); retrying alone", len(group), type(exc).__name__)
        for pending in group:
            try:
                await self._commit(held, [pending])
            except Exception as single:
                await held.release()
                self._fail([pending], single)

    async def _commit(self, held: _Held, group: list[_Pending[J, R]]) -> None:
        conn = await held.get()
        self.working += 1
        self.idle.clear()
        try:
            async with conn.transaction():
                results = await self.work(conn, [p.job for p in group])
                # Committed: now, and only now, the callers get their answers.
        finally:
            self.working -= 1
            if not self.working:
                self.idle.set()
        for pending, result in zip(group, results, strict=True):
            if not pending.done.done():
                pending.done.set_result(result)

    @staticmethod
    def _fail(group: Sequence[_Pending[J, R]], exc: BaseException) -> None:
        for pending in group:
            if not pending.done.done():
                pending.done.set_exception(exc)
