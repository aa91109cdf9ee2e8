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
from risk_engine.values import Authorization as Authorization  # re-exported
from risk_engine.values import CodeFacts as CodeFacts  # re-exported
from risk_engine.values import CodeStatus as CodeStatus  # re-exported
from risk_engine.values import CustodyStep as CustodyStep  # re-exported
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
