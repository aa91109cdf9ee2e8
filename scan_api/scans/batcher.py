"""Group commit for single scans: concurrent requests share one transaction and one COMMIT.

A request hands its scan (and its bearer token) to the batcher and waits; a worker takes every
waiting scan, authenticates the tokens in one query, records the scans with the same set-based
path as the batch endpoint, COMMITs, and only then answers each waiting request. Nothing is
acknowledged before its commit. If a group's transaction fails, each scan of the group is
retried alone so one scan can never sink the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from codegen.keystore import KeyStore
from risk_engine.service import RiskEngine
from scan_api.scans import service
from scan_api.scans.models import Outcome, ScanRequest
from scan_api.scans.schemas import ScanIn
from traceability.auth import service as auth_service
from traceability.auth.models import Principal
from traceability.db.pool import connection
from traceability.errors import DomainError

log = logging.getLogger(__name__)
MAX_GROUP = 256

Authorize = Callable[[Principal], None]


@dataclass(slots=True)
class _Job:
    scan: ScanIn
    bearer: str
    authorize: Authorize
    done: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ScanBatcher:
    def __init__(
        self, pool: asyncpg.Pool, store: KeyStore, risk: RiskEngine | None, workers: int = 2
    ) -> None:
        self.pool = pool
        self.store = store
        self.risk = risk
        self.queue: asyncio.Queue[_Job] = asyncio.Queue()
        self.tasks = [asyncio.create_task(self._run()) for _ in range(workers)]

    async def submit(self, scan: ScanIn, bearer: str, authorize: Authorize) -> Outcome:
        job = _Job(scan, bearer, authorize)
        await self.queue.put(job)
        return await job.done

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        while not self.queue.empty():
            job = self.queue.get_nowait()
            if not job.done.done():
                job.done.set_exception(ConnectionError("server shutting down"))

    async def _run(self) -> None:
        while True:
            jobs = [await self.queue.get()]
            while len(jobs) < MAX_GROUP and not self.queue.empty():
                jobs.append(self.queue.get_nowait())
            try:
                await self._group(jobs)
            except asyncio.CancelledError:
                self._fail(jobs, ConnectionError("server shutting down"))
                raise
            except Exception as exc:
                if len(jobs) == 1:
                    self._fail(jobs, exc)
                else:
                    log.warning("scan group failed, retrying alone: %s", exc.__class__.__name__)
                    for job in jobs:
                        try:
                            await self._group([job])
                        except Exception as single:
                            self._fail([job], single)

    @staticmethod
    def _fail(jobs: list[_Job], exc: BaseException) -> None:
        for job in jobs:
            if not job.done.done():
                job.done.set_exception(exc)

    async def _group(self, jobs: list[_Job]) -> None:
        async with connection(self.pool) as conn, conn.transaction():
            results = await self._process(conn, jobs)
            # Committed: now, and only now, the callers get their answers.
        for job, result in zip(jobs, results, strict=True):
            if not job.done.done():
                job.done.set_result(result)

    async def _process(self, conn: asyncpg.Connection, jobs: list[_Job]) -> list[Outcome]:
        principals = await auth_service.authenticate_many(conn, [job.bearer for job in jobs])
        results: list[Outcome | None] = [None] * len(jobs)
        requests: list[tuple[int, ScanRequest]] = []
        for index, (job, principal) in enumerate(zip(jobs, principals, strict=True)):
            try:
                if isinstance(principal, DomainError):
                    raise principal
                job.authorize(principal)
                requests.append((index, ScanRequest(job.scan, principal)))
            except DomainError as exc:
                results[index] = Outcome(job.scan.event_id, "rejected", error=exc)
        outcomes = await service.record_scans(conn, self.store, [r for _, r in requests], self.risk)
        for (index, _), outcome in zip(requests, outcomes, strict=True):
            results[index] = outcome
        return [r for r in results if r is not None]


def outcome_or_raise(outcome: Outcome) -> dict[str, Any]:
    if outcome.error is not None:
        raise outcome.error
    return outcome.response
