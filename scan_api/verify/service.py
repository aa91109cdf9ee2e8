"""Consumer verification: check a payload, record the check, pay loyalty points once.

Runs inside the request's transaction. The verdict, reasons, message and the loyalty
decision come from `risk_engine.consumer.verify` (through `scan_api.verify.decide`); this
module loads what it needs, stores the `consumer_verify` event (with the answer as its
response) and the loyalty claim.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from codegen.keystore import KeyStore
from codegen.payload import code_or_none
from codegen.service import know_keys_of, verify_known
from risk_engine.consumer import Reason
from risk_engine.consumer import VerificationResult as ConsumerResult
from risk_engine.service import Reads, RiskEngine, conclude_round, judge_during, read_round
from risk_engine.territories import TerritoryCache
from scan_api.verify import repository
from scan_api.verify.decide import (
    CLAIM_DAY,
    GroupState,
    Prepared,
    VerifyPolicy,
    decide,
    load_check,
    name_first_places,
    region_key,
    regions_here,
)
from scan_api.verify.models import LoadedCheck, VerifiedGroup, VerifyRequest
from scan_api.verify.rows import answer_of, check_row, early_subject, risk_row, signature_check
from traceability.db.columns import new_db_uuid
from traceability.db.meanwhile import settled

log = logging.getLogger(__name__)


YIELD_EVERY = 4
"""Checks decided between two turns of the event loop (see `_decide_all`)."""


async def verify_code(
    conn: asyncpg.Connection,
    store: KeyStore,
    regions: TerritoryCache,
    policy: VerifyPolicy,
    req: VerifyRequest,
    now: datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Verify `req.payload` for an anonymous consumer; returns the stored answer."""
    group = await verify_group(conn, store, regions, policy, [(req, event_id)], now)
    await store_group(conn, group, None)
    return group.answers[0]


async def verify_group(
    conn: asyncpg.Connection,
    store: KeyStore,
    regions: TerritoryCache,
    policy: VerifyPolicy,
    jobs: Sequence[tuple[VerifyRequest, uuid.UUID | None]],
    now: datetime | None = None,
    risk: RiskEngine | None = None,
) -> VerifiedGroup:
    """Verify a group of checks in one go; the answers (as stored) are exactly those of
    verifying each in order: a check sees the group's checks before it, and their claims.
    Nothing is written here: `store_group` stores the checks and their claims.

    Reads go out while the CPU work that does not need them runs: the codes' history while
    signatures are checked, then the risk engine's facts (given `risk`) while checks are
    decided.
    """
    start = now or datetime.now(UTC)
    # Distinct, increasing times keep the group's order when the checks are read back.
    times = [start + timedelta(microseconds=i) for i in range(len(jobs))]
    event_ids = [event_id or new_db_uuid() for _, event_id in jobs]  # as the router makes them
    codes = [code_or_none(req.payload) for req, _ in jobs]
    wanted = sorted({code for code in codes if code})
    consumers = sorted({req.consumer_id for req, _ in jobs if req.consumer_id})
    networks = _claim_networks(policy, [req for req, _ in jobs])
    rows = await repository.lock_group(conn, wanted, consumers, networks)
    await store.refresh(conn)
    await know_keys_of(conn, store, rows.values())
    region_map = await regions.regions(conn)  # before any read is left in flight
    since = start - max(CLAIM_DAY, policy.loyalty.region_window)
    early = [early_subject(e, c, t) for e, c, t in zip(event_ids, codes, times, strict=True)]
    basis = policy.clone_basis
    marked = {
        code: row
        for code, row in rows.items()
        if row["clone_reasons"] and row["clone_basis"] == basis  # else: not trusted, read all
    }
    history_read = asyncio.ensure_future(
        _history(conn, wanted, marked, consumers, networks, since, start - CLAIM_DAY)
    )
    risk_read = asyncio.ensure_future(_risk_reads(history_read, conn, risk, early, rows))
    async with settled(history_read, risk_read):
        await asyncio.sleep(0)  # the history read reaches the wire before the CPU work starts
        signatures = [
            signature_check(verify_known(store, req.payload, rows.get(code) if code else None))
            for (req, _), code in zip(jobs, codes, strict=True)
        ]
        heres = regions_here(region_map, [req for req, _ in jobs])
        history, cloned = await history_read
        earlier = {code: [dict(r) for r in history.checks.get(code, [])] for code in wanted}
        group = GroupState(
            earlier,
            history.claimed,
            history.claims,
            {code: row["clone_checks"] - len(earlier[code]) for code, row in cloned.items()},
            {code: tuple(map(Reason, row["clone_reasons"])) for code, row in cloned.items()},
            history.network_claims,
        )
        name_first_places(region_map, group.earlier)
        prepared = [
            Prepared(req, code, sig, at, event_id, here)
            for (req, _), code, sig, at, event_id, here in zip(
                jobs, codes, signatures, times, event_ids, heres, strict=True
            )
        ]
        decided = await _decide_all(prepared, rows, group, policy)
        reads = await risk_read
    claims = [
        (c.code, c.req.consumer_id, c.event_id, points, region_key(c), c.now, c.req.network)
        for c, _, points, _ in decided
        if points and c.code and c.req.consumer_id
    ]
    answers = [
        answer_of(check, result, points, reason) for check, result, points, reason in decided
    ]
    pairs = zip(decided, answers, strict=True)
    events = [check_row(c, r, a) for (c, r, _, _), a in pairs]
    risk_events = [risk_row(e) for e in events]
    clones = group.clone_rows(basis)
    return VerifiedGroup(answers, risk_events, rows, events, claims, clones, reads)


def _claim_networks(policy: VerifyPolicy, reqs: Sequence[VerifyRequest]) -> list[str]:
    """The networks whose claims the group's checks count: those of checks that can claim
    (a consumer id), while the per-network limit is on."""
    if not policy.loyalty.max_claims_per_network_per_day:
        return []
    return sorted({r.network for r in reqs if r.consumer_id and r.network})


async def _history(
    conn: asyncpg.Connection,
    wanted: Sequence[str],
    marked: dict[str, asyncpg.Record],
    consumers: Sequence[str],
    networks: Sequence[str],
    since: datetime,
    day_since: datetime,
) -> tuple[repository.History, dict[str, asyncpg.Record]]:
    """The group's history, and the codes whose stored clone finding answers for them.

    A code `marked` with a finding (made under today's `clone_basis`) is read as its first
    check only. Should that check be missing (nothing deletes checks today), the finding is
    not trusted: the code is read in full, so no answer names a wrong first check.
    """
    history = await repository.history(
        conn,
        [code for code in wanted if code not in marked],
        consumers,
        since,
        [row["clone_first_event"] for row in marked.values()],
        networks,
        day_since,
    )
    lost = sorted(code for code in marked if code not in history.checks)
    if not lost:
        return history, marked
    log.warning("clone findings without their first check, read in full: %s", lost)
    full = await repository.history(conn, lost, [], since)
    history.checks.update(full.checks)
    history.claimed.update(full.claimed)
    return history, {code: row for code, row in marked.items() if code not in lost}


async def _risk_reads(
    after: Awaitable[object],
    conn: asyncpg.Connection,
    risk: RiskEngine | None,
    early: Sequence[dict[str, Any]],
    rows: dict[str, asyncpg.Record],
) -> Reads | None:
    """The risk engine's reads, sent as soon as `after` (on the same connection) is done."""
    await after
    if risk is None or not risk.enabled:
        return None
    return await read_round(conn, risk, early, rows)


async def _decide_all(
    prepared: Sequence[Prepared],
    rows: dict[str, asyncpg.Record],
    group: GroupState,
    policy: VerifyPolicy,
) -> list[tuple[LoadedCheck, ConsumerResult, int, str | None]]:
    """Each check in order. Every few checks the loop gets a turn: a read in flight on the
    group's connection sends its next statement instead of waiting for the whole group."""
    decided = []
    for i, one in enumerate(prepared):
        if i and not i % YIELD_EVERY:
            await asyncio.sleep(0)
        check = load_check(group, one, rows)
        decided.append((check, *decide(check, group, policy)))
    return decided


async def store_group(
    conn: asyncpg.Connection, group: VerifiedGroup, risk: RiskEngine | None
) -> None:
    """Store the group's checks and claims; the risk engine (clone and consumer-cluster alerts,
    never shown to consumers) judges them while the insert runs, in the same transaction."""

    def write() -> Awaitable[None]:
        return repository.insert_checks(conn, group.unsaved, group.claims, group.clones)

    if risk is None or not risk.enabled:
        await write()
        return
    _, round_, drafts = await judge_during(
        conn, risk, group.events, group.registry, write, reads=group.reads
    )
    if round_ is not None:
        await conclude_round(conn, risk, round_, drafts)
