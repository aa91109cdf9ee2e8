"""Builders for risk-engine unit tests: a small world of territories, parties and scans."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from shapely.geometry import box

from geo.index import TerritoryIndex
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

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
M_PER_DEG = 111_195.08
GTIN = "06901234567892"

INDEX = TerritoryIndex(
    {
        "east": box(121.0, 31.0, 122.0, 32.0),  # dealer A (Shanghai area)
        "east-north": box(121.0, 31.5, 122.0, 32.0),  # sub-dealer A1, inside east
        "next": box(122.0, 31.0, 123.0, 32.0),  # dealer C, adjacent to east
        "west": box(116.0, 39.5, 117.0, 40.5),  # dealer B (Beijing area)
    }
)


def east_of_west_edge(metres: float, lat: float = 31.25) -> float:
    """Longitude `metres` east (negative: west) of the east territory's west edge (121.0)."""
    return 121.0 + metres / (M_PER_DEG * math.cos(math.radians(lat)))


PLANT = PartyRef("plant-1", PartyKind.PLANT, None, GeoFix(31.2, 121.3))
DEALER_A = PartyRef("dealer-a", PartyKind.DEALER, None, GeoFix(31.25, 121.5))
SUB_A1 = PartyRef("sub-a1", PartyKind.DEALER, "dealer-a", GeoFix(31.75, 121.5))
SUB_A2 = PartyRef("sub-a2", PartyKind.DEALER, "dealer-a", GeoFix(31.2, 121.4))  # no territory
DEALER_B = PartyRef("dealer-b", PartyKind.DEALER, None, GeoFix(40.0, 116.5))
STORE_A = PartyRef("store-a", PartyKind.RETAILER, "dealer-a", GeoFix(31.3, 121.6))
STORE_A1 = PartyRef("store-a1", PartyKind.RETAILER, "sub-a1", GeoFix(31.8, 121.7))
STORE_B = PartyRef("store-b", PartyKind.RETAILER, "dealer-b", GeoFix(39.9, 116.4))
STORE_SOUTH = PartyRef("store-south", PartyKind.RETAILER, None, GeoFix(31.2, 121.8))

AUTHS = (
    Authorization("dealer-a", "east"),
    Authorization("sub-a1", "east-north"),
    Authorization("dealer-b", "west"),
)

_counter = iter(range(1, 1_000_000))


def scan(
    checkpoint: Checkpoint,
    at: datetime | timedelta = timedelta(0),
    party: PartyRef | None = None,
    *,
    to: PartyRef | None = None,
    fix: GeoFix | None = None,
    consumer: str | None = None,
    code: str = "code-1",
    signature: SignatureCheck = SignatureCheck.VALID,
    event_id: str | None = None,
    network: str | None = None,
) -> ScanFact:
    when = T0 + at if isinstance(at, timedelta) else at
    return ScanFact(
        event_id=event_id or f"ev-{next(_counter)}",
        code=code,
        checkpoint=checkpoint,
        scanned_at=when,
        party=party,
        to_party=to,
        location=fix,
        signature=signature,
        consumer_id=consumer,
        network=network,
    )


def step(party: PartyRef, at: timedelta, checkpoint: Checkpoint = Checkpoint.SHIP) -> CustodyStep:
    return CustodyStep(party, T0 + at, f"custody-{party.id}", checkpoint)


def facts(
    *custody: CustodyStep,
    history: tuple[ScanFact, ...] = (),
    status: CodeStatus = CodeStatus.COMMISSIONED,
    code: str = "code-1",
    auths: tuple[Authorization, ...] = AUTHS,
    gtin: str = GTIN,
) -> CodeFacts:
    return CodeFacts(
        code=code,
        gtin=gtin,
        lot="L1",
        status=status,
        issuing_plant_id="plant-1",
        issuing_line_id="line-3",
        batch_id="batch-9",
        custody=(step(PLANT, -timedelta(days=10), Checkpoint.COMMISSION), *custody),
        authorizations=auths,
        history=history,
    )


def chain_a() -> tuple[CustodyStep, ...]:
    """plant -> dealer A."""
    return (step(DEALER_A, -timedelta(days=5)),)


def chain_a_a1() -> tuple[CustodyStep, ...]:
    """plant -> dealer A -> sub-dealer A1."""
    return (step(DEALER_A, -timedelta(days=5)), step(SUB_A1, -timedelta(days=3)))
