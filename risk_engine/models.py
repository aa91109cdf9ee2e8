"""Facts the risk rules read and the alert drafts they write: frozen, pure, no I/O.

The scan service loads these from the database (a code's events, custody, the custodians'
territory authorizations) and hands them to the rules; the rules never fetch anything.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from geo.index import Match, Placement
from risk_engine.thresholds import RiskThresholds as RiskThresholds  # re-exported
from risk_engine.values import GeoFix as GeoFix  # re-exported
from risk_engine.values import PartyRef as PartyRef  # re-exported
from risk_engine.values import ScanFact as ScanFact  # re-exported
from risk_engine.values import SignatureCheck as SignatureCheck  # re-exported
from traceability.events import Checkpoint as Checkpoint  # re-exported
from traceability.frozen import fast_init
from traceability.masterdata.models import PartyKind as PartyKind  # re-exported

PLANT_CHECKPOINTS = frozenset(
    {Checkpoint.COMMISSION, Checkpoint.PACK, Checkpoint.WAREHOUSE_IN, Checkpoint.SHIP}
)
"""Scans made at the plant, before the goods are in the market."""
MARKET_CHECKPOINTS = frozenset(
    {
        Checkpoint.DEALER_RECEIVE,
        Checkpoint.DEALER_SHIP,
        Checkpoint.RETAIL_RECEIVE,
        Checkpoint.RETAIL_SELL,
        Checkpoint.CONSUMER_VERIFY,
    }
)
"""Scans that show the item out in the market."""
RECEIVE_OR_SELL = frozenset(
    {Checkpoint.DEALER_RECEIVE, Checkpoint.RETAIL_RECEIVE, Checkpoint.RETAIL_SELL}
)
SHIP_CHECKPOINTS = frozenset({Checkpoint.SHIP, Checkpoint.DEALER_SHIP})


class CodeStatus(enum.StrEnum):
    ISSUED = "issued"  # generated for a batch, never reported printed on an item
    COMMISSIONED = "commissioned"  # printed and applied to a real item


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @staticmethod
    def highest(severities: Iterable[Severity]) -> Severity:
        return max(severities, key=lambda s: s.rank, default=Severity.LOW)


_SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}


class AlertType(enum.StrEnum):
    DIVERSION = "diversion"
    COUNTERFEIT = "counterfeit"
    CLONE = "clone"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    LEAKED_CODE = "leaked_code"
    SEQUENCE = "sequence"
    TURNOVER_SPIKE = "turnover_spike"


@fast_init
@dataclass(frozen=True, slots=True)
class CustodyStep:
    """One holder in the chain of custody, from the event that made it a custodian."""

    party: PartyRef
    since: datetime
    event_id: str
    checkpoint: Checkpoint  # commission, ship/dealer_ship (shipped toward it) or a receive


@dataclass(frozen=True, slots=True)
class Authorization:
    """A party may sell in a territory: every product when `gtins` is None."""

    party_id: str
    territory_id: str
    gtins: frozenset[str] | None = None

    def covers(self, gtin: str) -> bool:
        return self.gtins is None or gtin in self.gtins


@fast_init
@dataclass(frozen=True, slots=True)
class CodeFacts:
    """What is known about one code before the scan being judged."""

    code: str
    gtin: str
    lot: str
    status: CodeStatus
    issuing_plant_id: str | None = None
    issuing_line_id: str | None = None
    batch_id: str | None = None
    custody: tuple[CustodyStep, ...] = ()  # ordered by `since`
    authorizations: tuple[Authorization, ...] = ()  # of the custodians (and the scanning party)
    history: tuple[ScanFact, ...] = ()  # earlier sightings, any order; the judged scan excluded

    def territories_of(self, party_id: str) -> tuple[str, ...]:
        """Territories where `party_id` may sell this code's product, sorted."""
        return tuple(
            sorted(
                {
                    a.territory_id
                    for a in self.authorizations
                    if a.party_id == party_id and a.covers(self.gtin)
                }
            )
        )

    def commissioned_at(self) -> datetime | None:
        times = [e.scanned_at for e in self.history if e.checkpoint is Checkpoint.COMMISSION]
        return min(times) if times else None


class TerritoryLookup(Protocol):
    """What the rules need from `geo.index.TerritoryIndex` (a test may pass a fake)."""

    def classify(
        self, lat: float, lon: float, accuracy_m: float, territory_ids: Iterable[str]
    ) -> Placement: ...

    def locate(self, lat: float, lon: float, accuracy_m: float = 0.0) -> list[Match]: ...


@fast_init
@dataclass(frozen=True, slots=True)
class IncidentKey:
    """Identifies one incident: rule, named source, what/where was observed.

    The time part of the incident is a sliding window (`AlertDraft.window`): new evidence
    joins an open alert with the same key whose last evidence is at most `window` older.
    """

    type: AlertType
    source_party_id: str | None
    subject: str  # observed party id, territory/area cell, code, batch or week

    def as_str(self) -> str:
        return f"{self.type.value}|{self.source_party_id or '-'}|{self.subject}"


@fast_init
@dataclass(frozen=True, slots=True)
class AlertDraft:
    """An alert a rule wants raised (or merged into an open incident with the same key)."""

    type: AlertType
    severity: Severity
    reason: str  # machine-readable sub-case, e.g. "ship_outside_territory"
    summary: str
    key: IncidentKey
    first_seen: datetime
    last_seen: datetime
    window: timedelta
    codes: tuple[str, ...] = ()
    evidence_event_ids: tuple[str, ...] = ()
    source_party_id: str | None = None
    observed_party_id: str | None = None
    observed_location: GeoFix | None = None
    expected_territory_ids: tuple[str, ...] = ()
    witnesses: frozenset[str] = field(default_factory=frozenset)
    """Independent observers (consumers/devices) behind the evidence; merging counts them."""

    @property
    def incident_key(self) -> str:
        return self.key.as_str()


@dataclass(frozen=True, slots=True)
class StoredIncident:
    """An open alert as merging needs it: its own fields, how many members it holds, and
    which of a round's members it holds already (never its whole member lists: an incident
    can grow to tens of thousands of codes).

    `head.codes`, `head.evidence_event_ids` and `head.witnesses` are what this round adds
    (everything, for an alert the round opens); the counts include them.
    """

    head: AlertDraft
    n_codes: int
    n_evidence: int
    n_witnesses: int
    known_codes: frozenset[str] = frozenset()
    known_evidence: frozenset[str] = frozenset()
    known_witnesses: frozenset[str] = frozenset()

    @classmethod
    def opened(cls, draft: AlertDraft) -> StoredIncident:
        """A new alert: every member of the draft is new."""
        return cls(draft, len(draft.codes), len(draft.evidence_event_ids), len(draft.witnesses))
