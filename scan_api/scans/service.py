"""Recording scans: one set-based pass for any number of scans, inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg

from codegen.keystore import KeyStore
from codegen.payload import code_or_none
from codegen.service import know_keys_of, verify_known
from risk_engine.alerts import withdraw_explained_leaks
from risk_engine.repository import attach_alerts_to_responses
from risk_engine.service import (
    RiskEngine,
    conclude_round,
    evaluate_events,
    judge_during,
    judge_round,
    never_judged,
)
from scan_api.scans import repository
from scan_api.scans.models import (
    Outcome,
    ScanRequest,
    dated_before_issue,
    identity_of_request,
    pack_problem,
    shipment_problem,
    static_problem,
    verdict_of,
)
from scan_api.scans.repository import EVENT_COLUMNS, StoredScan
from traceability.db.columns import db_uuid, float4
from traceability.errors import Conflict, Forbidden
from traceability.events import Checkpoint

# api.md: event_id is unique. Sent again by the party that scanned it, it is a retry.
EVENT_ID_TAKEN = "event_id is already the id of another party's scan; use a new one"
EVENT_ID_REUSED = (
    "event_id is already the id of a different scan (payload, checkpoint, time, place or "
    "consignee differ); a retry must send the same scan, a new scan needs a new event_id"
)


@dataclass(slots=True)
class _Pending:
    """A scan that passed the static checks, on its way to being stored."""

    index: int
    request: ScanRequest
    code: str | None = None
    row: Any = None
    verdict: str = "counterfeit"
    reason: str | None = None
    children: list[str] | None = None
    event: tuple[object, ...] | None = None  # its scan_events row, built once (`_event_of`)
    first_commission: bool = False  # this scan commissioned its code for the first time


async def record_scans(
    conn: asyncpg.Connection,
    store: KeyStore,
    requests: Sequence[ScanRequest],
    risk: RiskEngine | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """Validate, verify, store, apply and judge `requests`; one Outcome per request, in order."""
    now = now or datetime.now(UTC)
    outcomes: list[Outcome | None] = [None] * len(requests)
    pending = _after_static_checks(requests, now, outcomes)
    set_aside = len(pending) < len(requests)  # refused, or an event sent twice in the upload
    if pending:
        # Retries are found by the insert's ON CONFLICT (`_store`), not by a query up front
        # for every group: only a retry refused now (its consignee suspended since) is looked
        # up here, so that it still gets its first answer.
        await store.refresh(conn)
        await _verify_and_check(conn, store, pending, outcomes, now)
        await _replay_duplicates(conn, [p for p in pending if outcomes[p.index]], outcomes)
        pending = [p for p in pending if outcomes[p.index] is None]
        if risk is not None and risk.enabled and pending and not _has_effects(pending):
            await _store_while_judging(conn, risk, pending, outcomes)
        else:
            created = await _store(conn, pending, outcomes)
            if risk is not None and created:
                won = [p for p in pending if (o := outcomes[p.index]) and o.status == "created"]
                await _judge(conn, risk, created, won)
                await _explain_leaks(conn, risk, won)
    if set_aside:
        _answer_twins(requests, outcomes)
    return [o for o in outcomes if o is not None]


def _answer_twins(requests: Sequence[ScanRequest], outcomes: list[Outcome | None]) -> None:
    """An event sent twice in one upload (or by two racing retries in one group): the second
    copy gets the first one's answer, its refusal too: nothing was stored for either."""
    first: dict[uuid.UUID, tuple[ScanRequest, Outcome]] = {}
    for request, outcome in zip(requests, outcomes, strict=True):
        if outcome is None:
            continue
        event_id = request.scan.event_id
        if event_id not in first:
            first[event_id] = (request, outcome)
        elif outcome.status == "duplicate" and not outcome.response:
            sender, original = first[event_id]
            if sender.principal.party_id != request.principal.party_id:
                outcome.status, outcome.error = "rejected", Conflict(EVENT_ID_TAKEN)
            elif identity_of_request(sender.scan) != identity_of_request(request.scan):
                outcome.status, outcome.error = "rejected", Conflict(EVENT_ID_REUSED)
            elif original.status == "rejected":
                outcome.status, outcome.error = "rejected", original.error
            else:
                outcome.response = original.response


def _after_static_checks(
    requests: Sequence[ScanRequest], now: datetime, outcomes: list[Outcome | None]
) -> list[_Pending]:
    pending: list[_Pending] = []
    first_of: dict[uuid.UUID, int] = {}
    for index, request in enumerate(requests):
        event_id = request.scan.event_id
        problem = static_problem(request, now)
        if problem is not None:
            outcomes[index] = Outcome(event_id, "rejected", error=problem)
        elif event_id in first_of:  # the same event twice in one upload: keep the first
            outcomes[index] = Outcome(event_id, "duplicate")
        else:
            first_of[event_id] = index
            pending.append(_Pending(index, request))
    return pending


async def _replay_duplicates(
    conn: asyncpg.Connection, pending: list[_Pending], outcomes: list[Outcome | None]
) -> None:
    if not pending:
        return
    stored = await repository.stored_responses(conn, [p.request.scan.event_id for p in pending])
    for p in pending:
        found = stored.get(p.request.scan.event_id)
        if found is not None:
            outcomes[p.index] = _replayed(p, found)


def _replayed(p: _Pending, stored: StoredScan | None) -> Outcome:
    """A stored event's first answer, to a retry by the party that scanned it; another party
    reusing its event_id learns nothing of that scan, and neither does a different scan sent
    under it (answering it with the first scan's answer would drop it silently)."""
    event_id = p.request.scan.event_id
    if stored is None:
        return Outcome(event_id, "duplicate", {})
    if stored.party_id != p.request.principal.party_id:
        return Outcome(event_id, "rejected", error=Conflict(EVENT_ID_TAKEN))
    if stored.identity != identity_of_request(p.request.scan):
        return Outcome(event_id, "rejected", error=Conflict(EVENT_ID_REUSED))
    return Outcome(event_id, "duplicate", stored.response)


async def _verify_and_check(
    conn: asyncpg.Connection,
    store: KeyStore,
    pending: list[_Pending],
    outcomes: list[Outcome | None],
    now: datetime,
) -> None:
    child_codes: dict[int, list[str | None]] = {}
    wanted: set[str] = set()
    for p in pending:
        p.code = code_or_none(p.request.scan.payload)
        if p.code:
            wanted.add(p.code)
        if p.request.scan.children:
            child_codes[p.index] = [code_or_none(c) for c in p.request.scan.children]
            wanted.update(c for c in child_codes[p.index] if c)
    rows = await repository.code_rows(conn, sorted(wanted))
    await know_keys_of(conn, store, rows.values())
    to_parties = sorted({p.request.scan.to_party_id for p in pending if p.request.scan.to_party_id})
    parties = await repository.party_rows(conn, to_parties)
    for p in pending:
        scan = p.request.scan
        p.row = rows.get(p.code) if p.code else None
        result = verify_known(store, scan.payload, p.row)
        commissioned = p.row is not None and p.row["commissioned_at"] is not None
        p.verdict, p.reason = verdict_of(result, commissioned, scan.checkpoint)
        problem = shipment_problem(scan, parties.get(scan.to_party_id or ""), now)
        if problem is None and p.row is not None and p.verdict != "counterfeit":
            problem = _line_problem(p)
        if problem is None and scan.children:
            problem = _children_problem(store, p, rows, child_codes[p.index])
        if problem is not None:
            outcomes[p.index] = Outcome(scan.event_id, "rejected", error=problem)


_LINE_CHECKPOINTS = frozenset({Checkpoint.COMMISSION, Checkpoint.PACK})


def _line_problem(p: _Pending) -> Forbidden | None:
    """A line commissions and packs (or opens) only its own plant's codes."""
    principal = p.request.principal
    if p.request.scan.checkpoint in _LINE_CHECKPOINTS and p.row["plant_id"] != principal.party_id:
        return Forbidden(f"this code was issued for plant {p.row['plant_id']}, not yours")
    return None


def _children_problem(
    store: KeyStore, p: _Pending, rows: dict[str, Any], codes: list[str | None]
) -> Any:
    scan = p.request.scan
    assert scan.children is not None
    checked = []
    for payload, code in zip(scan.children, codes, strict=True):
        row = rows.get(code) if code else None
        genuine = row is not None and verify_known(store, payload, row).ok
        checked.append((code or "", row, genuine))
    plant = p.request.principal.party_id
    for child, row, genuine in checked:
        if genuine and row is not None and row["plant_id"] != plant:
            return Forbidden(f"{child} was issued for plant {row['plant_id']}, not yours")
    parent_level = p.row["level"] if p.row is not None and p.verdict != "counterfeit" else None
    problem = pack_problem(parent_level, checked)
    if problem is None:
        p.children = [code for code, _, _ in checked]
    return problem


def _response(p: _Pending) -> dict[str, Any]:
    """The scan's answer; its uuid stays a uuid.UUID, which orjson writes as text."""
    return {
        "event_id": p.request.scan.event_id,
        "code": p.code,
        "checkpoint": p.request.scan.checkpoint.value,
        "verdict": p.verdict,
        "reason": p.reason,
        "alert_ids": [],
    }


def _event_row(p: _Pending, response: dict[str, Any]) -> tuple[object, ...]:
    scan, principal = p.request.scan, p.request.principal
    loc = scan.location
    return (
        scan.event_id,
        p.code,
        scan.payload,
        scan.checkpoint.value,
        principal.party_id,
        scan.to_party_id,
        scan.scanned_at,
        loc.lat if loc else None,
        loc.lon if loc else None,
        loc.accuracy_m if loc else None,
        p.verdict,
        p.reason,
        None,
        scan.unpack,
        principal.token_id,
        response,
    )


def _event_of(p: _Pending) -> tuple[object, ...]:
    """The scan's scan_events row (its answer last), for the insert and the rules alike."""
    if p.event is None:
        p.event = _event_row(p, _response(p))
    return p.event


def _answer_of(p: _Pending) -> dict[str, Any]:
    return cast(dict[str, Any], _event_of(p)[-1])


def _has_effects(pending: list[_Pending]) -> bool:
    """Scans that change lifecycle or containment, which the rules must see applied."""
    return any(
        p.request.scan.checkpoint is Checkpoint.COMMISSION
        or p.request.scan.children
        or p.request.scan.unpack
        for p in pending
    )


def _risk_rows(stored: list[_Pending]) -> list[dict[str, Any]]:
    """The events as the rules read them back (scan_events columns, the database's uuid
    type, float4 accuracy)."""
    now = datetime.now(UTC)
    rows = []
    for p in stored:
        row = dict(zip(EVENT_COLUMNS, _event_of(p), strict=True))
        row["event_id"] = db_uuid(p.request.scan.event_id)
        row["recorded_at"] = now
        row["accuracy_m"] = float4(
            p.request.scan.location.accuracy_m if p.request.scan.location else None
        )
        rows.append(row)
    return rows


def _registry(stored: list[_Pending]) -> dict[str, Any]:
    return {p.code: p.row for p in stored if p.code and p.row is not None}


async def _judge(
    conn: asyncpg.Connection, risk: RiskEngine, created: list[Outcome], stored: list[_Pending]
) -> None:
    """Run the risk engine in the same transaction: the answer names the alerts it raised.
    Commissions are left out before their rows are built: no rule judges them, and a line's
    upload is mostly commissions (about a tenth of the API's time per scan in a batch)."""
    judged = [p for p in stored if not never_judged(p.request.scan.checkpoint.value, p.verdict)]
    raised = await evaluate_events(
        conn,
        risk,
        [p.request.scan.event_id for p in judged],
        stored=_risk_rows(judged),
        registry=_registry(judged),
    )
    await _name_alerts(conn, created, raised)


async def _explain_leaks(conn: asyncpg.Connection, risk: RiskEngine, won: list[_Pending]) -> None:
    """First commissions uploaded after their codes were seen in the market, dated before
    it, take back the leaked_code alerts they explain
    (`risk_engine.alerts.withdraw_explained_leaks`). A second commission of a code never
    does: back-dated, it would whitewash a leak its first commission had confirmed. Nor does
    a commission dated before its code was issued (a date nobody could scan it at)."""
    codes = [
        p.code
        for p in won
        if p.code
        and p.first_commission
        and not dated_before_issue(p.request.scan.scanned_at, p.row)
    ]
    if risk.enabled and codes:
        await withdraw_explained_leaks(conn, codes)


async def _name_alerts(
    conn: asyncpg.Connection, created: list[Outcome], raised: dict[uuid.UUID, list[str]]
) -> None:
    if raised:
        for outcome in created:
            if outcome.event_id in raised:
                outcome.response["alert_ids"] = raised[outcome.event_id]
        await attach_alerts_to_responses(conn, list(raised), list(raised.values()))


async def _store_while_judging(
    conn: asyncpg.Connection,
    risk: RiskEngine,
    pending: list[_Pending],
    outcomes: list[Outcome | None],
) -> None:
    """The rules run while PostgreSQL is busy with the insert (risk_engine.judge_during).

    Only for groups without lifecycle or containment changes, which the rules must see
    applied first. Same transaction, same answers as storing first (tested).
    """
    created, round_, drafts = await judge_during(
        conn, risk, _risk_rows(pending), _registry(pending), lambda: _store(conn, pending, outcomes)
    )
    won = {o.event_id for o in created if o.event_id}
    if round_ is None or not won:
        return
    if len(won) < len(pending):  # a concurrent retry stored some first: judge only ours
        drafts = judge_round(round_, risk, only=won)
    await _name_alerts(conn, created, await conclude_round(conn, risk, round_, drafts, won))


async def _store(
    conn: asyncpg.Connection, pending: list[_Pending], outcomes: list[Outcome | None]
) -> list[Outcome]:
    inserted = await repository.insert_events(conn, [_event_of(p) for p in pending])
    lost = [p for p in pending if p.request.scan.event_id not in inserted]
    if lost:  # a concurrent retry of the same event committed first: answer with its response
        stored = await repository.stored_responses(conn, [p.request.scan.event_id for p in lost])
        for p in lost:
            outcomes[p.index] = _replayed(p, stored.get(p.request.scan.event_id))
    won = [p for p in pending if p.request.scan.event_id in inserted]
    created = []
    for p in won:
        outcome = Outcome(p.request.scan.event_id, "created", _answer_of(p))
        outcomes[p.index] = outcome
        created.append(outcome)
    await _apply_effects(conn, won)
    return created


def _commissions(p: _Pending) -> bool:
    """A commission scan; or the line packing a case or pallet: its label is on the container
    once it holds goods (many lines never scan SSCC labels on their own, and their pallets
    were "never commissioned" at every later scan: review). As with commissions, the
    earliest wins, whichever pack was uploaded first."""
    if p.request.scan.checkpoint is Checkpoint.COMMISSION:
        return True
    return bool(p.children) and p.row["level"] != "item"


async def _apply_effects(conn: asyncpg.Connection, won: list[_Pending]) -> None:
    """Lifecycle and aggregation changes of the scans just stored (never of counterfeits)."""
    real = [p for p in won if p.row is not None and p.verdict != "counterfeit"]
    commissions = [p for p in real if _commissions(p)]
    if commissions:
        first = await repository.commission(
            conn,
            [p.code or "" for p in commissions],
            [p.request.scan.scanned_at for p in commissions],
            [p.request.scan.event_id for p in commissions],
        )
        for p in commissions:  # the scan that won, not its twins in the upload
            p.first_commission = p.request.scan.event_id in first
    packs = [p for p in real if p.children]
    if packs:
        await repository.set_children(
            conn, [p.request.scan.event_id for p in packs], [p.children or [] for p in packs]
        )
    opened = [p for p in real if p.request.scan.unpack]
    if packs or opened:
        # Every child and container of the group's packs and openings locked at once, in key
        # order: uploads touching the same ones wait for each other instead of deadlocking.
        await repository.lock_containment(
            conn,
            sorted({c for p in packs for c in p.children or []}),
            sorted({p.code or "" for p in [*packs, *opened]}),
        )
    for p in real:
        scan = p.request.scan
        if scan.unpack:
            await repository.unpack_container(conn, p.code or "", scan.scanned_at, scan.event_id)
        if p.children:
            await repository.move_into(
                conn, p.children, p.code or "", scan.scanned_at, scan.event_id
            )
