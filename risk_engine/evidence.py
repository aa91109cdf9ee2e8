"""Shared evidence helpers: usable GPS fixes, consumer witnesses/sessions, area cells."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Final

from geo.distance import haversine_m, min_separation_m
from geo.regions import area_cell as area_cell  # re-exported for the rules
from risk_engine.models import (
    SHIP_CHECKPOINTS,
    AlertDraft,
    AlertType,
    Checkpoint,
    CodeFacts,
    GeoFix,
    IncidentKey,
    PartyRef,
    ScanFact,
    Severity,
    SignatureCheck,
)
from risk_engine.thresholds import RiskThresholds


def usable_fix(fix: GeoFix | None, thresholds: RiskThresholds) -> GeoFix | None:
    """The fix if it can serve as location evidence (accuracy known or defaulted, not awful)."""
    if fix is None or not (math.isfinite(fix.lat) and math.isfinite(fix.lon)):
        return None
    accuracy = fix.accuracy_m if fix.accuracy_m > 0 else thresholds.default_accuracy_m
    if accuracy > thresholds.max_usable_accuracy_m:
        return None
    return fix if accuracy == fix.accuracy_m else GeoFix(fix.lat, fix.lon, accuracy)


def registered_fix(fix: GeoFix | None, thresholds: RiskThresholds) -> GeoFix | None:
    """A party's registered location, with at least the geocoding accuracy."""
    if fix is None:
        return None
    return GeoFix(fix.lat, fix.lon, max(fix.accuracy_m, thresholds.registered_location_accuracy_m))


def scan_fix(scan: ScanFact, thresholds: RiskThresholds) -> GeoFix | None:
    """Where a scan happened: its GPS fix, else (staff scans) the party's registered place."""
    fix = usable_fix(scan.location, thresholds)
    if fix is not None or scan.party is None:
        return fix
    return registered_fix(scan.party.location, thresholds)


def separation_m(a: GeoFix, b: GeoFix) -> float:
    """Least distance between two fixes given their accuracy radii."""
    return min_separation_m(haversine_m(a.lat, a.lon, b.lat, b.lon), a.accuracy_m, b.accuracy_m)


def consumer_checks(history: Sequence[ScanFact]) -> list[ScanFact]:
    """The consumer checks of the genuine code: a forged copy's check (its signature failed)
    is a sighting of a counterfeit, not of the code, so it is never a witness of it. Else
    anyone who can read a serial off a shelf could make a genuine item look cloned."""
    return [
        e
        for e in history
        if e.checkpoint is Checkpoint.CONSUMER_VERIFY and e.signature is SignatureCheck.VALID
    ]


def witness_key(check: ScanFact) -> str | None:
    """Who a consumer check counts as, when that is known: its network, else its consumer id.

    Consumer ids are whatever the phone sends, so one person can claim any number of them;
    the network the check came from (`network`, a keyed hash of the client's address) is
    what one person cannot multiply as easily. The price is carrier-grade NAT, where
    strangers share an address and count as one. (A code's witnesses are keyed seeing all
    its checks: `witness_keys`.)
    """
    if check.network:
        return f"network:{check.network}"
    if check.consumer_id:
        return f"consumer:{check.consumer_id}"
    return None


def witness_keys(checks: Sequence[ScanFact]) -> Callable[[ScanFact], str | None]:
    """Who each of a code's consumer checks counts as, seen together.

    A network used by one consumer id only is that consumer's own (home, a mobile address
    that rotates): its checks count as the consumer, so one buyer on many addresses stays
    one witness. A network used by several ids (or by anonymous checks too) is one witness
    for all its checks, whatever ids they claim: made-up ids from one machine stay one.
    Nothing is joined across networks through an id seen on both, so a made-up id checked
    from many shared addresses cannot glue their strangers into one witness either.
    Checks without a network (loopback, or stored before networks were kept) count as their
    consumer id.
    """
    ids_of: dict[str, set[str]] = {}
    for check in checks:
        if check.network:
            ids_of.setdefault(check.network, set()).add(check.consumer_id or "")

    def key(check: ScanFact) -> str | None:
        if check.network and (check.consumer_id is None or len(ids_of[check.network]) > 1):
            return f"network:{check.network}"
        return f"consumer:{check.consumer_id}" if check.consumer_id else None

    return key


class Witness:
    """One independent observer of a code: a consumer/device, or one anonymous session."""

    __slots__ = ("checks", "fix", "key")

    def __init__(self, key: str, checks: tuple[ScanFact, ...], fix: GeoFix | None) -> None:
        self.key: Final = key
        self.checks: Final = checks
        self.fix: Final = fix  # the first usable fix of the witness

    @property
    def event_ids(self) -> tuple[str, ...]:
        return tuple(c.event_id for c in self.checks)


def witnesses(checks: Sequence[ScanFact], thresholds: RiskThresholds) -> list[Witness]:
    """Group consumer checks into independent witnesses, in order of first check.

    Checks with one key (`witness_keys`: a consumer's own networks count as the consumer, a
    network shared by several ids as the network) are one witness whenever they happened:
    the same person checking again from home or another mobile address is no new evidence,
    nor are made-up ids from one machine. Anonymous checks join an anonymous session when
    within `session_window` of its last check and `session_radius_m` of its first fix (or
    when either has no fix); otherwise they open a new session.

    Linear in the checks: a session more than `session_window` behind the check in hand can
    never be joined again (checks come in time order), so it leaves the open list. Scanning
    every session ever opened made a cloned code with thousands of anonymous checks quadratic
    (4,000 one-check sessions: 340 ms per call).
    """
    ordered = sorted(checks, key=lambda c: (c.scanned_at, c.event_id))
    key_of = witness_keys(ordered)
    found: dict[str, _Gathering] = {}  # in order of first check
    open_sessions: list[_Gathering] = []
    for check in ordered:
        if key := key_of(check):
            known = found.setdefault(key, _Gathering([], None))
            known.add(check, usable_fix(check.location, thresholds) if known.fix is None else None)
            continue
        oldest = check.scanned_at - thresholds.session_window
        open_sessions = [s for s in open_sessions if s.checks[-1].scanned_at >= oldest]
        fix = usable_fix(check.location, thresholds)
        for session in open_sessions:
            if (
                fix is None
                or session.fix is None
                or separation_m(fix, session.fix) <= (thresholds.session_radius_m)
            ):
                session.add(check, fix)
                break
        else:
            session = _Gathering([check], fix)
            open_sessions.append(session)
            found[f"anonymous:{check.event_id}"] = session
    return [Witness(key, tuple(g.checks), g.fix) for key, g in found.items()]


class _Gathering:
    """A witness being grouped: its checks so far and the first usable fix among them."""

    __slots__ = ("checks", "fix")

    def __init__(self, checks: list[ScanFact], fix: GeoFix | None) -> None:
        self.checks = checks
        self.fix = fix

    def add(self, check: ScanFact, fix: GeoFix | None) -> None:
        """`fix`: the check's usable fix (the caller may skip it once `self.fix` is set)."""
        self.checks.append(check)
        if self.fix is None:
            self.fix = fix


def witness_of(check: ScanFact, found: Sequence[Witness]) -> Witness | None:
    for witness in found:
        if any(c.event_id == check.event_id for c in witness.checks):
            return witness
    return None


def new_draft(
    type_: AlertType,
    severity: Severity,
    reason: str,
    summary: str,
    *,
    at: datetime,
    subject: str,
    window: timedelta,
    codes: Sequence[str],
    event_ids: Sequence[str],
    source: str | None = None,
    observed_party_id: str | None = None,
    location: GeoFix | None = None,
    expected: Sequence[str] = (),
    witnesses: frozenset[str] = frozenset(),
) -> AlertDraft:
    """An alert draft whose first and last evidence are both at `at`."""
    return AlertDraft(
        type=type_,
        severity=severity,
        reason=reason,
        summary=summary,
        key=IncidentKey(type_, source, subject),
        first_seen=at,
        last_seen=at,
        window=window,
        codes=tuple(dict.fromkeys(codes)),
        evidence_event_ids=tuple(dict.fromkeys(event_ids)),
        source_party_id=source,
        observed_party_id=observed_party_id,
        observed_location=location,
        expected_territory_ids=tuple(expected),
        witnesses=witnesses,
    )


def unshipped_receipt(
    party: PartyRef, at: datetime, facts: CodeFacts, thresholds: RiskThresholds
) -> list[ScanFact] | None:
    """The shipments recorded by `at`, when none went to `party`, to its (sub-)dealer or from
    it: its holding is not explained by the chain. None when it is, or when no shipment is
    recorded yet (a skipped or late scan explains nothing away)."""
    ships = [
        e
        for e in facts.history
        if e.checkpoint in SHIP_CHECKPOINTS
        and e.to_party is not None
        and e.scanned_at <= at + thresholds.clock_skew
    ]
    if not ships:
        return None
    targets = {e.to_party.id for e in ships if e.to_party}
    owners = {party.id, party.parent_id, *party.ancestor_ids}
    if targets & owners or party.id in {e.party_id for e in ships}:
        return None  # shipped to it, or to its (sub-)dealer: dealers skip their own dealer_ship
    return ships
