"""Group commit for POST /v1/scans (traceability/db/group_commit.py does the committing).

The group's work authenticates every token in one query (tokens seen in the last second
come from the principal cache), then records all scans with the same
set-based path as the batch endpoint, risk evaluation included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg

from codegen.keystore import KeyStore
from risk_engine.service import RiskEngine
from scan_api.scans import service
from scan_api.scans.models import Outcome, ScanRequest
from scan_api.scans.schemas import ScanIn
from traceability.auth import service as auth_service
from traceability.auth.cache import PrincipalCache
from traceability.auth.models import Principal
from traceability.db.group_commit import GroupCommit
from traceability.errors import DomainError

Authorize = Callable[[Principal], None]


@dataclass(frozen=True, slots=True)
class ScanJob:
    scan: ScanIn
    bearer: str
    authorize: Authorize


def scan_batcher(
    pool: asyncpg.Pool,
    store: KeyStore,
    risk: RiskEngine | None,
    principals: PrincipalCache | None = None,
) -> GroupCommit[ScanJob, Outcome]:
    async def work(conn: asyncpg.Connection, jobs: Sequence[ScanJob]) -> list[Outcome]:
        bearers = [job.bearer for job in jobs]
        checked = await auth_service.authenticate_many(conn, bearers, principals)
        results: list[Outcome | None] = [None] * len(jobs)
        requests: list[tuple[int, ScanRequest]] = []
        for index, (job, principal) in enumerate(zip(jobs, checked, strict=True)):
            try:
                if isinstance(principal, DomainError):
                    raise principal
                job.authorize(principal)
                requests.append((index, ScanRequest(job.scan, principal)))
            except DomainError as exc:
                results[index] = Outcome(job.scan.event_id, "rejected", error=exc)
        outcomes = await service.record_scans(conn, store, [r for _, r in requests], risk)
        for (index, _), outcome in zip(requests, outcomes, strict=True):
            results[index] = outcome
        return [r for r in results if r is not None]

    return GroupCommit(pool, work)
