"""Evaluate stored scans with the pure rules and keep one alert per incident (in the scan's tx)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import asyncpg

from risk_engine import repository
from risk_engine.engine import evaluate_scan
from risk_engine.facts import Loaded, Row, judged_scans, party_refs
from risk_engine.incidents import absorb, continues, dedupe
from risk_engine.models import (
    MARKET_CHECKPOINTS,
    AlertDraft,
    AlertType,
    GeoFix,
    IncidentKey,
    Severity,
    StoredIncident,
    TerritoryLookup,
)
from risk_engine.parties import PartyCache
from risk_engine.rules.turnover_spike import Window, known_weeks, turnover_spike
from risk_engine.territories import TerritoryCache
from risk_engine.thresholds import RiskThresholds
from traceability.db.meanwhile import meanwhile
from traceability.events import RECEIVING, SHIPPING

# Scans at the plant are judged only when their code (or what it holds) was already seen
# past the plant: only then can they prove a break in the chain (a code sold while the item
# is still at the plant). Commissioning is never judged: it comes in bulk (the batch
# endpoint's 20,000 scans/s) and the lookup would cost every code of a print run; a code
# seen in the market before its commission is caught there (`leaked_code`).
PLANT_CHECKPOINTS = ("commission", "pack", "warehouse_in")
ENGINE_ACTOR = "risk-engine"

T = TypeVar("T")


@dataclass
class RiskEngine:
    """Process-wide state of the engine: thresholds, the territory index, the parties."""

    thresholds: RiskThresholds
    territories: TerritoryCache
    enabled: bool = True
    parties: PartyCache = field(default_factory=PartyCache)


async def evaluate_events(
    conn: asyncpg.Connection,
    engine: RiskEngine,
    event_ids: Sequence[uuid.UUID],
    *,
    stored: Sequence[Row] | None = None,
    registry: Mapping[str, Row] | None = None,
) -> dict[uuid.UUID, list[str]]:
    """Judge freshly stored events (any order; late ones too); returns event → alert ids.

    A caller that has just written the events may pass them (`stored`, scan_events columns)
    and the registry rows it read (`registry`), which saves two queries per group.
    """
    if not engine.enabled or not event_ids:
        return {}
    events = list(stored) if stored is not None else await repository.events_by_id(conn, event_ids)
    loaded = await load_round(conn, engine, events, registry or {})
    if loaded is None:
        return {}
    return await conclude_round(conn, engine, loaded, judge_round(loaded, engine))


@dataclass(frozen=True, slots=True)
class Round:
    """The facts for judging a group of events: loaded (I/O), then judged (pure CPU)."""

    events: list[Row]
    loaded: Loaded
    contents: dict[uuid.UUID, list[str]]
    index: TerritoryLookup
    again: list[Row] = field(default_factory=list)  # stored scans judged again (`_judged_again`)


CUSTODY = frozenset(c.value for c in SHIPPING | RECEIVING)  # the scans custody comes from
MARKET = frozenset(c.value for c in MARKET_CHECKPOINTS)


def _judged_again(judged: Sequence[Row], rows: Sequence[Row]) -> list[Row]:
    """Stored market scans of a code dated after a custody scan of it in this round.

    Uploads come late and out of order: a store's sale stored before the shipment that
    brought the item to its dealer was judged without that custody, so nobody was named.
    In order, a custody scan is the newest of its code and this finds nothing.
    """
    ids = {e["event_id"] for e in judged}
    since: dict[str, Any] = {}
    for e in judged:
        code = e["code"]
        if code and e["checkpoint"] in CUSTODY and e["verdict"] != "counterfeit":
            since[code] = min(e["scanned_at"], since.get(code, e["scanned_at"]))
    if not since:  # consumer checks, sales: the rows need no look
        return []
    return [
        r
        for r in rows
        if r["code"] in since
        and r["event_id"] not in ids
        and r["checkpoint"] in MARKET
        and r["verdict"] != "counterfeit"
        and r["scanned_at"] > since[r["code"]]
    ]


@dataclass(frozen=True, slots=True)
class Reads:
    """What judging reads from the database about a group's codes (the histories as stored)."""

    registry: dict[str, Row]
    contents: dict[uuid.UUID, list[str]]
    members: list[Row]
    rows: list[Row]
    judged: frozenset[uuid.UUID]  # the events these reads are for


def never_judged(checkpoint: str, verdict: str) -> bool:
    """A commission of one of our codes: no rule judges it (it counts only through the
    market scans it explains, `withdraw_explained_leaks`), so a caller need not pass it."""
    return checkpoint == "commission" and verdict != "counterfeit"


async def _to_judge(
    conn: asyncpg.Connection, engine: RiskEngine, events: Sequence[Row]
) -> list[Row]:
    """Market scans and counterfeit sightings; plant scans of codes seen past the plant."""
    if not engine.enabled:
        return []
    judged: list[Row] = []
    plant: list[Row] = []
    for e in events:
        if never_judged(e["checkpoint"], e["verdict"]):
            continue
        at_plant = e["checkpoint"] in PLANT_CHECKPOINTS and e["verdict"] != "counterfeit"
        (plant if at_plant else judged).append(e)
    plant = [e for e in plant if e["code"]]
    if plant:
        past = {e["code"] for e in judged if e["code"]}
        asked = sorted({e["code"] for e in plant} - past)
        if asked:
            past |= set(await repository.seen_past(conn, asked, PLANT_CHECKPOINTS))
        judged += [e for e in plant if e["code"] in past]
    return judged


async def read_round(
    conn: asyncpg.Connection, engine: RiskEngine, events: Sequence[Row], registry: Mapping[str, Row]
) -> Reads | None:
    """The database part of `load_round`, for a caller that starts it before its events are
    final: only their event_id, code, checkpoint, verdict and scanned_at are read."""
    judged = await _to_judge(conn, engine, events)
    return await _read(conn, judged, registry) if judged else None


async def load_round(
    conn: asyncpg.Connection,
    engine: RiskEngine,
    events: Sequence[Row],
    registry: Mapping[str, Row],
    unwritten: Sequence[Row] = (),
    reads: Reads | None = None,
) -> Round | None:
    """Load what judging `events` needs; None when none of them is judged.

    `unwritten`: the group's events when they are not in the database yet (a caller that
    judges while its insert is under way); they join the codes' histories as if stored.
    `reads`: what `read_round` already read for these events.
    """
    if reads is not None:  # read_round chose them
        judged = [e for e in events if e["event_id"] in reads.judged]
    else:
        judged = await _to_judge(conn, engine, events)
    if not judged:
        return None
    judged.sort(key=lambda e: (e["scanned_at"], e["recorded_at"]))
    reads = reads or await _read(conn, judged, registry)
    loaded = await _assemble(conn, engine.parties, reads, unwritten, judged)
    index = await engine.territories.index(conn)
    return Round(judged, loaded, reads.contents, index, _judged_again(judged, reads.rows))


async def judge_during(
    conn: asyncpg.Connection,
    engine: RiskEngine,
    events: Sequence[Row],
    registry: Mapping[str, Row],
    write: Callable[[], Awaitable[T]],
    reads: Reads | None = None,
) -> tuple[T, Round | None, list[AlertDraft]]:
    """Judge `events` while `write()` stores them: the rules' CPU work overlaps the insert.

    The facts are read first, with `events` joined to the histories as if stored; then the
    write goes out on the same connection and the rules run until its answer is needed.
    The caller concludes the round (turnover, incidents) after the write, in the same
    transaction. Returns what `write()` returned, the round and its drafts.
    """
    round_ = await load_round(conn, engine, events, registry, unwritten=events, reads=reads)
    drafts, written = await meanwhile(
        write(), lambda: judge_round(round_, engine) if round_ is not None else []
    )
    return written, round_, drafts


def judge_round(
    round_: Round, engine: RiskEngine, only: Set[uuid.UUID] | None = None
) -> list[AlertDraft]:
    """Every per-scan rule over the round's events (or over `only` those): pure, no I/O."""
    drafts: list[AlertDraft] = []
    for event in [*round_.events, *(round_.again if only is None else ())]:
        if only is not None and event["event_id"] not in only:
            continue
        items = round_.contents.get(event["event_id"], [])
        for judged in judged_scans(event, items, round_.loaded):
            drafts += evaluate_scan(judged.scan, judged.facts, round_.index, engine.thresholds)
    return drafts


async def conclude_round(
    conn: asyncpg.Connection,
    engine: RiskEngine,
    round_: Round,
    drafts: list[AlertDraft],
    only: Set[uuid.UUID] | None = None,
) -> dict[uuid.UUID, list[str]]:
    """Add the volume rule (it reads the stored week), keep the incidents; event → alert ids."""
    events = [e for e in round_.events if only is None or e["event_id"] in only]
    drafts = drafts + await _turnover(conn, events, engine.thresholds)
    saved = await persist(conn, drafts, engine.thresholds)
    wanted = {str(e["event_id"]): e["event_id"] for e in events}
    raised: dict[uuid.UUID, list[str]] = defaultdict(list)
    for alert_id, draft in saved:
        for event_id in draft.evidence_event_ids:
            if event_id in wanted and alert_id not in raised[wanted[event_id]]:
                raised[wanted[event_id]].append(alert_id)
    return dict(raised)


async def _read(conn: asyncpg.Connection, events: list[Row], known: Mapping[str, Row]) -> Reads:
    codes = sorted({e["code"] for e in events if e["code"]})
    registry = {c: known[c] for c in codes if c in known}
    missing = [c for c in codes if c not in registry]
    if missing:
        registry.update({r["code"]: r for r in await repository.registry(conn, missing)})
    containers = [
        e for e in events if e["code"] in registry and registry[e["code"]]["level"] != "item"
    ]
    contents: dict[uuid.UUID, list[str]] = defaultdict(list)
    if containers:
        rows = await repository.contents_at(
            conn, [e["code"] for e in containers], [e["scanned_at"] for e in containers]
        )
        by_container: dict[tuple[str, Any], list[str]] = defaultdict(list)
        for row in rows:
            by_container[(row["container"], row["at"])].append(row["code"])
        for e in containers:
            contents[e["event_id"]] = sorted(set(by_container[(e["code"], e["scanned_at"])]))
    items = sorted({c for found in contents.values() for c in found} - set(registry))
    if items:
        registry.update({r["code"]: r for r in await repository.registry(conn, items)})
    all_codes = sorted(set(registry))
    members = await repository.memberships(conn, all_codes)
    related = sorted(set(all_codes) | {m["parent_code"] for m in members})
    rows = await repository.events(conn, related)
    return Reads(registry, dict(contents), members, rows, frozenset(e["event_id"] for e in events))


async def _assemble(
    conn: asyncpg.Connection,
    parties: PartyCache,
    reads: Reads,
    unwritten: Sequence[Row],
    judged: Sequence[Row],
) -> Loaded:
    """The round's facts. The parties are those of the codes' histories and of the judged
    events themselves: a sighting of a code we never issued has no history, and its alert
    still names the party that found it."""
    rows, members = reads.rows, reads.members
    if unwritten:
        seen = {r["event_id"] for r in rows}
        wanted = set(reads.registry) | {m["parent_code"] for m in members}
        rows = [*rows, *(r for r in unwritten if r["code"] in wanted and r["event_id"] not in seen)]
    party_ids = sorted(
        {p for r in (*rows, *judged) for p in (r["party_id"], r["to_party_id"]) if p}
    )
    party_rows = await parties.rows(conn, party_ids)
    auths = [
        {"party_id": p["id"], "territory_id": a["territory_id"], "gtins": a["gtins"]}
        for p in party_rows
        for a in p["authorizations"]
    ]
    return Loaded(reads.registry, rows, members, party_refs(party_rows), auths)


async def _turnover(
    conn: asyncpg.Connection, events: list[asyncpg.Record], thresholds: RiskThresholds
) -> list[AlertDraft]:
    """A dealer's weekly outbound volume, judged whenever it ships."""
    drafts: list[AlertDraft] = []
    shippers: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for e in events:
        if e["checkpoint"] == "dealer_ship" and e["party_id"] and e["verdict"] != "counterfeit":
            shippers[e["party_id"]].append(e)
    for dealer, shipped in shippers.items():
        until = max(e["scanned_at"] for e in shipped)
        weeks = await repository.weekly_outbound(
            conn, dealer, until, thresholds.spike_baseline_weeks + 1
        )
        windows = [Window(r["start"], r["stop"], int(r["items"])) for r in weeks]
        volumes = known_weeks(windows, await repository.first_outbound(conn, dealer))
        drafts += turnover_spike(
            dealer, volumes, thresholds, evidence_event_ids=[str(e["event_id"]) for e in shipped]
        )
    return drafts


def stored_of(row: asyncpg.Record) -> StoredIncident:
    """The stored incident (`repository.open_incidents` row), so new evidence can be merged
    into it: its fields, its member counts, and which of the round's members it holds."""
    type_, source, subject = row["incident_key"].split("|", 2)
    location = None
    if row["observed_lat"] is not None:
        location = GeoFix(row["observed_lat"], row["observed_lon"], row["observed_accuracy_m"] or 0)
    head = AlertDraft(
        type=AlertType(row["type"]),
        severity=Severity(row["severity"]),
        reason=row["reason"],
        summary=row["summary"],
        key=IncidentKey(AlertType(type_), None if source == "-" else source, subject),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        window=timedelta(seconds=row["window_s"]),
        source_party_id=row["source_party_id"],
        observed_party_id=row["observed_party_id"],
        observed_location=location,
        expected_territory_ids=tuple(row["expected_territory_ids"]),
    )
    return StoredIncident(
        head,
        row["n_codes"],
        row["n_evidence"],
        row["n_witnesses"],
        frozenset(row["known_codes"]),
        frozenset(row["known_evidence"]),
        frozenset(row["known_witnesses"]),
    )


def _values(alert_id: uuid.UUID, stored: StoredIncident) -> dict[str, object]:
    """The alert's row and the members this round adds (`repository.save_alerts`)."""
    draft, loc = stored.head, stored.head.observed_location
    return {
        "id": alert_id,
        "type": draft.type.value,
        "severity": draft.severity.value,
        "reason": draft.reason,
        "summary": draft.summary,
        "incident_key": draft.incident_key,
        "source_party_id": draft.source_party_id,
        "observed_party_id": draft.observed_party_id,
        "observed_lat": loc.lat if loc else None,
        "observed_lon": loc.lon if loc else None,
        "observed_accuracy_m": loc.accuracy_m if loc else None,
        "expected_territory_ids": list(draft.expected_territory_ids),
        "first_seen": draft.first_seen,
        "last_seen": draft.last_seen,
        "window_s": int(draft.window.total_seconds()),
        "n_codes": stored.n_codes,
        "n_evidence": stored.n_evidence,
        "n_witnesses": stored.n_witnesses,
        "codes": list(draft.codes),
        "evidence_event_ids": list(draft.evidence_event_ids),
        "witnesses": sorted(draft.witnesses),
    }


async def persist(
    conn: asyncpg.Connection, drafts: list[AlertDraft], thresholds: RiskThresholds
) -> list[tuple[str, AlertDraft]]:
    """Merge each incident into its open alert, or open a new one; returns (alert id, the
    round's draft of that incident) for each."""
    incidents = dedupe(drafts, thresholds)
    if not incidents:
        return []
    keys = [d.incident_key for d in incidents]
    await repository.lock_incidents(conn, keys)
    found = await repository.open_incidents(
        conn,
        keys,
        sorted({c for d in incidents for c in d.codes}),
        sorted({e for d in incidents for e in d.evidence_event_ids}),
        sorted({w for d in incidents for w in d.witnesses}),
    )
    open_alerts: dict[str, list[tuple[uuid.UUID, StoredIncident]]] = defaultdict(list)
    for row in found:
        open_alerts[row["incident_key"]].append((row["id"], stored_of(row)))
    saved: list[tuple[str, AlertDraft]] = []
    touched: dict[uuid.UUID, StoredIncident] = {}  # the last merge of each alert wins
    raised: dict[uuid.UUID, str] = {}  # new alerts: the note of their history line
    for draft in incidents:
        entries = open_alerts[draft.incident_key]
        target = next(((i, s) for i, s in entries if continues(s.head, draft)), None)
        if target is None:
            alert_id, merged = uuid.uuid4(), StoredIncident.opened(draft)
            raised[alert_id] = draft.summary
            entries.append((alert_id, merged))
        else:
            alert_id, merged = target[0], absorb(target[1], draft, thresholds)
            entries[:] = [(i, merged if i == alert_id else s) for i, s in entries]
        touched[alert_id] = merged
        saved.append((str(alert_id), draft))
    rows = [
        {**_values(alert_id, stored), "raised": raised.get(alert_id)}
        for alert_id, stored in touched.items()
    ]
    await repository.save_alerts(conn, rows, ENGINE_ACTOR)
    return saved
