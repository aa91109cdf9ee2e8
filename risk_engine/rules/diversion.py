"""Diversion (窜货): goods surface outside the territories of the dealer they were allocated to.

Three ways to see it, from the strongest to the weakest evidence:

1. `ship_outside_territory` — a dealer ships (`dealer_ship`) to a party whose registered
   location is outside its territories: caught before the goods even arrive.
2. `receive_outside_territory` — a dealer or store receives or sells the item
   (`dealer_receive`, `retail_receive`, `retail_sell`) outside the expected territories.
3. `consumer_cluster` — consumers verify the item outside the expected territories. One
   consumer is a traveller (low); many distinct consumers and codes of one dealer's goods in
   one foreign area are a cluster, graded when the incident's evidence is merged
   (`cluster_severity`).

Expected territories: those authorized (for the item's GTIN) to the nearest upstream dealer
in the custody chain that has any; a sub-dealer without its own territory inherits its
dealer's. Source: walking the chain back from the observed party, the last dealer whose
registered location lies in the expected territories (it held the goods legitimately and
let them go); if none does, the dealer whose territories they are.

Location evidence: the party's registered location and the scan's GPS fix, each with its
accuracy. Any decisive INSIDE placement clears the scan; OUTSIDE needs every decisive
placement to agree; AMBIGUOUS (the accuracy circle crosses the border) never alerts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from geo.index import Placement, PlacementStatus
from risk_engine.evidence import (
    area_cell,
    consumer_checks,
    registered_fix,
    usable_fix,
    witness_key,
    witnesses,
)
from risk_engine.models import (
    RECEIVE_OR_SELL,
    AlertDraft,
    AlertType,
    Checkpoint,
    CodeFacts,
    GeoFix,
    IncidentKey,
    PartyKind,
    PartyRef,
    ScanFact,
    Severity,
    TerritoryLookup,
)
from risk_engine.rules.clone import count_places
from risk_engine.thresholds import RiskThresholds

REASON_SHIP = "ship_outside_territory"
REASON_RECEIVE = "receive_outside_territory"
REASON_CONSUMER = "consumer_cluster"


def diversion(
    scan: ScanFact,
    facts: CodeFacts,
    territories: TerritoryLookup,
    thresholds: RiskThresholds,
) -> list[AlertDraft]:
    """Diversion drafts for one scan of one item (empty when the scan proves nothing)."""
    if scan.checkpoint is Checkpoint.DEALER_SHIP:
        return _ship(scan, facts, territories, thresholds)
    if scan.checkpoint in RECEIVE_OR_SELL:
        return _receive(scan, facts, territories, thresholds)
    if scan.checkpoint is Checkpoint.CONSUMER_VERIFY:
        return _consumer(scan, facts, territories, thresholds)
    return []


def cluster_severity(witnesses: int, codes: int, thresholds: RiskThresholds) -> Severity:
    """Severity of a consumer cluster: distinct consumers AND distinct codes must both count."""
    n = min(witnesses, codes)
    if n >= thresholds.consumer_cluster_high:
        return Severity.HIGH
    if n >= thresholds.consumer_cluster_medium:
        return Severity.MEDIUM
    return Severity.LOW


def upstream_dealers(facts: CodeFacts, scan: ScanFact, exclude: str | None) -> list[PartyRef]:
    """Dealers (and sub-dealers) that held the item before the scan, oldest first, unique."""
    seen: dict[str, PartyRef] = {}
    for step in sorted(facts.custody, key=lambda s: s.since):
        if step.since > scan.scanned_at or step.party.kind is not PartyKind.DEALER:
            continue
        if step.party.id == exclude:
            continue
        seen.pop(step.party.id, None)
        seen[step.party.id] = step.party
    return list(seen.values())


def expected_territories(
    facts: CodeFacts, dealers: Sequence[PartyRef]
) -> tuple[PartyRef, tuple[str, ...]] | None:
    """The nearest upstream dealer with territories for this GTIN, and those territories."""
    for dealer in reversed(dealers):
        owned = facts.territories_of(dealer.id)
        if owned:
            return dealer, owned
    return None


def with_own_territories(
    party: PartyRef,
    network: Sequence[PartyRef],
    expected: tuple[str, ...],
    facts: CodeFacts,
) -> tuple[str, ...]:
    """`expected`, plus the party's own territories for this GTIN when it is a sub-dealer of
    a dealer in `network` (the shipper, the territories' owner, the upstream dealers).

    The brand authorized it there, inside that dealer's network: its territories are among
    those "authorized for the item's dealer(s)" (PRODUCT.md), so goods shipped to it, or
    received by it, where it is authorized have not left their allocation. A dealer outside
    the network, authorized or not, is still diversion: goods crossed from one dealer's
    allocation into another's.
    """
    if party.kind is not PartyKind.DEALER:
        return expected
    lineage = {party.parent_id, *party.ancestor_ids} - {None}
    if not lineage & {dealer.id for dealer in network}:
        return expected
    return tuple(dict.fromkeys((*expected, *facts.territories_of(party.id))))


def source_party(
    dealers: Sequence[PartyRef],
    expected: tuple[str, ...],
    owner: PartyRef,
    territories: TerritoryLookup,
    thresholds: RiskThresholds,
) -> str:
    """The last dealer that held the goods inside the expected territories."""
    for dealer in reversed(dealers):
        fix = registered_fix(dealer.location, thresholds)
        if fix is None:
            continue
        placed = territories.classify(fix.lat, fix.lon, fix.accuracy_m, expected)
        if placed.status is not PlacementStatus.OUTSIDE:
            return dealer.id
    return owner.id


def combine(placements: Sequence[Placement]) -> Placement | None:
    """One verdict from several placements of the same party (registered place, GPS)."""
    inside = [p for p in placements if p.status is PlacementStatus.INSIDE]
    outside = [p for p in placements if p.status is PlacementStatus.OUTSIDE]
    if inside:
        return inside[0] if not outside else _ambiguous(outside)
    if outside:
        return min(outside, key=lambda p: p.distance_outside_m)
    return placements[0] if placements else None


def _ambiguous(outside: Sequence[Placement]) -> Placement:
    nearest = min(outside, key=lambda p: p.distance_outside_m)
    return Placement(PlacementStatus.AMBIGUOUS, nearest.distance_outside_m, nearest.territory_id)


def _place(
    fixes: Sequence[GeoFix], expected: tuple[str, ...], territories: TerritoryLookup
) -> tuple[Placement, GeoFix] | None:
    placed = [(territories.classify(f.lat, f.lon, f.accuracy_m, expected), f) for f in fixes]
    verdict = combine([p for p, _ in placed])
    if verdict is None:
        return None
    fix = next((f for p, f in placed if p.status is verdict.status), placed[0][1])
    return verdict, fix


def _severity(placement: Placement, thresholds: RiskThresholds) -> Severity | None:
    if placement.status is not PlacementStatus.OUTSIDE:
        return None  # AMBIGUOUS: GPS noise at the border is never medium/high
    if placement.distance_outside_m >= thresholds.diversion_high_distance_m:
        return Severity.HIGH
    return Severity.MEDIUM


def _ship(
    scan: ScanFact, facts: CodeFacts, territories: TerritoryLookup, thresholds: RiskThresholds
) -> list[AlertDraft]:
    sender, receiver = scan.party, scan.to_party
    if sender is None or receiver is None or sender.kind is not PartyKind.DEALER:
        return []
    if receiver.kind is PartyKind.PLANT or receiver.id == sender.id:
        return []  # returns to the plant are not diversion
    dealers = [*upstream_dealers(facts, scan, exclude=sender.id), sender]
    found = expected_territories(facts, dealers)
    fix = registered_fix(receiver.location, thresholds)
    if found is None or fix is None:
        return []
    owner, expected = found
    allowed = with_own_territories(receiver, (*dealers, owner), expected, facts)
    placed = _place([fix], allowed, territories)
    severity = _severity(placed[0], thresholds) if placed else None
    if placed is None or severity is None:
        return []
    placement, used = placed
    summary = (
        f"{sender.id} shipped {facts.code} to {receiver.id}, located "
        f"{placement.distance_outside_m / 1000:.1f} km outside the territories of {owner.id} "
        f"({', '.join(expected)})"
    )
    return [
        _draft(
            scan,
            severity,
            REASON_SHIP,
            summary,
            source=sender.id,
            subject=f"party:{receiver.id}",
            observed_party_id=receiver.id,
            location=used,
            expected=expected,
            window=thresholds.incident_window,
        )
    ]


def _receive(
    scan: ScanFact, facts: CodeFacts, territories: TerritoryLookup, thresholds: RiskThresholds
) -> list[AlertDraft]:
    party = scan.party
    if party is None or party.kind is PartyKind.PLANT:
        return []
    dealers = upstream_dealers(facts, scan, exclude=party.id)
    found = expected_territories(facts, dealers)
    if found is None:
        return []
    owner, expected = found
    fixes = [
        f
        for f in (registered_fix(party.location, thresholds), usable_fix(scan.location, thresholds))
        if f is not None
    ]
    allowed = with_own_territories(party, (*dealers, owner), expected, facts)
    placed = _place(fixes, allowed, territories)
    severity = _severity(placed[0], thresholds) if placed else None
    if placed is None or severity is None:
        return []
    placement, used = placed
    source = source_party(dealers, expected, owner, territories, thresholds)
    summary = (
        f"{facts.code} {scan.checkpoint.value} by {party.id}, "
        f"{placement.distance_outside_m / 1000:.1f} km outside the territories of {owner.id} "
        f"({', '.join(expected)}); source {source}"
    )
    return [
        _draft(
            scan,
            severity,
            REASON_RECEIVE,
            summary,
            source=source,
            subject=f"party:{party.id}",
            observed_party_id=party.id,
            location=used,
            expected=expected,
            window=thresholds.incident_window,
            extra_events=_custody_events(facts, source),
        )
    ]


def _consumer(
    scan: ScanFact, facts: CodeFacts, territories: TerritoryLookup, thresholds: RiskThresholds
) -> list[AlertDraft]:
    fix = usable_fix(scan.location, thresholds)
    if fix is None:
        return []
    dealers = upstream_dealers(facts, scan, exclude=None)
    found = expected_territories(facts, dealers)
    if found is None:
        return []
    owner, expected = found
    placement = territories.classify(fix.lat, fix.lon, fix.accuracy_m, expected)
    if placement.status is not PlacementStatus.OUTSIDE:
        return []
    if placement.distance_outside_m < thresholds.consumer_min_distance_m:
        return []
    # Asked only now: the clone test walks the code's whole check history, and most
    # consumer checks are inside the territory.
    if is_cloned(scan, facts, thresholds):
        return []
    if sold_at_home(scan, facts, expected, territories, thresholds):
        return []
    source = source_party(dealers, expected, owner, territories, thresholds)
    matches = territories.locate(fix.lat, fix.lon, fix.accuracy_m)
    subject = (
        f"territory:{matches[0].territory_id}"
        if matches
        else area_cell(fix.lat, fix.lon, thresholds.area_cell_deg)
    )
    witness = witness_key(scan) or f"anonymous:{scan.code}"
    summary = (
        f"goods of {source} verified by consumers in {subject.split(':', 1)[1]}, "
        f"{placement.distance_outside_m / 1000:.0f} km outside the territories of {owner.id}"
    )
    draft = _draft(
        scan,
        Severity.LOW,
        REASON_CONSUMER,
        summary,
        source=source,
        subject=subject,
        observed_party_id=None,
        location=fix,
        expected=expected,
        window=thresholds.consumer_cluster_window,
        witnesses=frozenset({witness}),
    )
    return [draft]


def sold_at_home(
    scan: ScanFact,
    facts: CodeFacts,
    expected: tuple[str, ...],
    territories: TerritoryLookup,
    thresholds: RiskThresholds,
) -> bool:
    """A store inside the expected territories received or sold it before the check.

    Then the goods reached their market; the consumer carried them away (a traveller, or
    someone who shops across the border from home): no evidence of diversion. Found by the
    simulator: border shoppers made false medium clusters. Without store scans (optional)
    nothing can be told, and the consumer checks count as before.
    """
    for step in facts.custody:
        party = step.party
        if party.kind is not PartyKind.RETAILER or step.since > scan.scanned_at:
            continue
        fix = registered_fix(party.location, thresholds)
        if fix is None:
            continue
        placed = territories.classify(fix.lat, fix.lon, fix.accuracy_m, expected)
        if placed.status is PlacementStatus.INSIDE:
            return True
    return False


def is_cloned(scan: ScanFact, facts: CodeFacts, thresholds: RiskThresholds) -> bool:
    """The code's consumer checks are clone evidence (places far apart, or too many people).

    Places far apart count here even when an item could have travelled between them (the
    clone rule grades those low): copies, or an item that travelled after its sale, the far
    checks say nothing about where the dealer's stock went.

    Copies of one genuine code are not the dealer's goods: they say nothing about where its
    stock went, and the clone rule reports them. Without this, a counterfeiter selling copies
    of several of a dealer's codes in one city made a "consumer cluster" (found by the
    simulator).
    """
    found = witnesses([*consumer_checks(facts.history), scan], thresholds)
    return len(found) >= thresholds.clone_max_witnesses or count_places(found, thresholds) >= 2


def _custody_events(facts: CodeFacts, party_id: str) -> tuple[str, ...]:
    return tuple(s.event_id for s in facts.custody if s.party.id == party_id)


def _draft(
    scan: ScanFact,
    severity: Severity,
    reason: str,
    summary: str,
    *,
    source: str,
    subject: str,
    observed_party_id: str | None,
    location: GeoFix,
    expected: tuple[str, ...],
    window: timedelta,
    extra_events: tuple[str, ...] = (),
    witnesses: frozenset[str] = frozenset(),
) -> AlertDraft:
    return AlertDraft(
        type=AlertType.DIVERSION,
        severity=severity,
        reason=reason,
        summary=summary,
        key=IncidentKey(AlertType.DIVERSION, source, subject),
        first_seen=scan.scanned_at,
        last_seen=scan.scanned_at,
        window=window,
        codes=(scan.code,),
        evidence_event_ids=tuple(dict.fromkeys((scan.event_id, *extra_events))),
        source_party_id=source,
        observed_party_id=observed_party_id,
        observed_location=location,
        expected_territory_ids=expected,
        witnesses=witnesses,
    )
