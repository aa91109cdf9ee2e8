"""Build the rules' facts from stored rows (pure): what the repository loaded → ScanFact/CodeFacts.

A scan of a case or pallet is judged once per item inside it at that time (`via` = the
container); history and custody come from the item's own events and those of its containers
while it was inside them (traceability.custody).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from risk_engine.models import (
    Authorization,
    Checkpoint,
    CodeFacts,
    CodeStatus,
    CustodyStep,
    GeoFix,
    PartyKind,
    PartyRef,
    ScanFact,
    SignatureCheck,
)
from traceability.custody import chain
from traceability.custody import models as custody

Row = Any  # an asyncpg.Record, or any mapping with the same keys (tests)

# Plain dict lookups: Enum(value) is measurably slow on the per-scan hot path.
_CHECKPOINT = {c.value: c for c in Checkpoint}

# Stored reasons of counterfeit events → the check that failed. Staff scans store codegen's
# reasons, consumer checks the consumer-facing ones (`risk_engine.consumer.Reason`).
_SIGNATURE = {
    "malformed": SignatureCheck.MALFORMED,
    "malformed_payload": SignatureCheck.MALFORMED,
    "bad_signature": SignatureCheck.BAD_SIGNATURE,
    "unknown_kid": SignatureCheck.BAD_SIGNATURE,
    "unknown_code": SignatureCheck.UNKNOWN_CODE,
    "revoked_key": SignatureCheck.REVOKED_KEY,
    "revoked_batch": SignatureCheck.REVOKED_BATCH,
}


@dataclass(frozen=True, slots=True)
class Judged:
    """One scan to judge for one code (the scanned code, or an item inside the container)."""

    scan: ScanFact
    facts: CodeFacts | None


def party_refs(rows: Iterable[Row]) -> dict[str, PartyRef]:
    rows = list(rows)
    parent = {r["id"]: r["parent_id"] for r in rows}

    def ancestors(party_id: str) -> tuple[str, ...]:
        chain: list[str] = []
        current = parent.get(party_id)
        while current and current not in chain and len(chain) < 5:
            chain.append(current)
            current = parent.get(current)
        return tuple(chain)

    return {
        r["id"]: PartyRef(
            r["id"],
            PartyKind(r["kind"]),
            r["parent_id"],
            GeoFix(r["lat"], r["lon"], 0.0),
            ancestors(r["id"]),
        )
        for r in rows
    }


def signature_of(row: Row) -> SignatureCheck:
    if row["verdict"] != "counterfeit":
        return SignatureCheck.VALID
    return _SIGNATURE.get(row["reason"] or "", SignatureCheck.BAD_SIGNATURE)


def scan_fact(
    row: Row, parties: Mapping[str, PartyRef], code: str | None = None, via: str | None = None
) -> ScanFact:
    location = None
    if row["lat"] is not None and row["lon"] is not None:
        location = GeoFix(row["lat"], row["lon"], row["accuracy_m"] or 0.0)
    return ScanFact(
        event_id=str(row["event_id"]),
        code=code or row["code"] or f"unparsed:{row['event_id']}",
        checkpoint=_CHECKPOINT[row["checkpoint"]],
        scanned_at=row["scanned_at"],
        party=parties.get(row["party_id"] or ""),
        to_party=parties.get(row["to_party_id"] or ""),
        location=location,
        signature=signature_of(row),
        consumer_id=row["consumer_id"],
        via=via,
        network=row.get("client_net"),
    )


class Loaded:
    """Everything the repository loaded for one evaluation round, indexed by code."""

    def __init__(
        self,
        registry: Mapping[str, Row],
        events: Sequence[Row],
        memberships: Sequence[Row],
        parties: Mapping[str, PartyRef],
        authorizations: Sequence[Row],
    ) -> None:
        self.registry = registry
        self.parties = parties
        self.rows_by_id = {str(r["event_id"]): r for r in events}
        self.events_by_code: dict[str, list[custody.Event]] = {}
        for row in events:
            self.events_by_code.setdefault(row["code"], []).append(chain.event_of(row))
        self.memberships_by_child: dict[str, list[custody.Membership]] = {}
        for row in memberships:
            self.memberships_by_child.setdefault(row["child_code"], []).append(
                chain.membership_of(row)
            )
        self.authorizations = tuple(
            Authorization(
                r["party_id"],
                r["territory_id"],
                None if r["gtins"] is None else frozenset(r["gtins"]),
            )
            for r in authorizations
        )

    def related(self, code: str) -> tuple[list[custody.Event], list[custody.Membership]]:
        """The code's events and memberships, and those of its containers (two levels)."""
        members = list(self.memberships_by_child.get(code, []))
        for parent in {m.parent for m in members}:
            members += self.memberships_by_child.get(parent, [])
        codes = {code} | {m.parent for m in members}
        return [e for c in codes for e in self.events_by_code.get(c, [])], members


def code_facts(code: str, loaded: Loaded, judged_event_id: str) -> CodeFacts:
    """The item's facts (the judged event left out of its history)."""
    reg = loaded.registry[code]
    effective = chain.effective_events(code, *loaded.related(code))
    history = tuple(
        scan_fact(loaded.rows_by_id[e.event.event_id], loaded.parties, code, e.via)
        for e in effective
        if e.event.event_id != judged_event_id
    )
    steps = tuple(
        CustodyStep(loaded.parties[s.party_id], s.since, s.event_id, s.checkpoint)
        for s in chain.custody_steps(effective)
        if s.party_id in loaded.parties
    )
    return CodeFacts(
        code=code,
        gtin=reg["gtin"],
        lot=reg["lot"],
        status=CodeStatus.COMMISSIONED if reg["commissioned_at"] else CodeStatus.ISSUED,
        issuing_plant_id=reg["plant_id"],
        issuing_line_id=issuing_line(reg),
        batch_id=str(reg["batch_id"]),
        custody=steps,
        authorizations=loaded.authorizations,
        history=history,
    )


def issuing_line(reg: Row) -> str | None:
    """The line that issued the code's batch: its token's name (`created_by` is the issuer's
    audit name, `role:name`); None when an admin issued it."""
    role, _, name = (reg.get("created_by") or "").partition(":")
    if role != "line" or not name:
        return None
    return str(name)


def judged_scans(event: Row, items: Sequence[str], loaded: Loaded) -> list[Judged]:
    """The judgements one stored event calls for: per item for containers, else the code."""
    if event["verdict"] == "counterfeit" or event["code"] not in loaded.registry:
        return [Judged(scan_fact(event, loaded.parties), None)]
    event_id = str(event["event_id"])
    targets = items or [event["code"]]
    judged = []
    for code in targets:
        if code not in loaded.registry:
            continue
        facts = code_facts(code, loaded, event_id)
        via = None if code == event["code"] else event["code"]
        judged.append(Judged(scan_fact(event, loaded.parties, code, via), facts))
    return judged
