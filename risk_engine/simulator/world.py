"""The simulated brand: a plant, a grid of exclusive territories, dealers, sub-dealers, stores
(some close to a border) and consumers. Pure and seeded: the same seed builds the same world.

Geography: `rows x cols` adjacent rectangular territories (about 85 x 90 km each) in central
China. One dealer per territory holds it exclusively; some dealers have a sub-dealer inside
their territory (no territory of its own: it inherits its dealer's). Stores sit inside their
dealer's territory; a share of them 300 m - 1.5 km from a border shared with a neighbour.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, Literal

ScaleName = Literal["default", "small", "demo"]


@dataclass(frozen=True, slots=True)
class Scale:
    rows: int
    cols: int
    stores_per_territory: int
    sub_dealer_share: float
    consumers_per_territory: int
    cases_per_store_week: float
    items_per_case: int
    dealer_diversions: int
    sub_dealer_diversions: int
    clones: int
    counterfeits: int
    leaked: int
    spikes: int


SCALES: dict[str, Scale] = {
    # 12 territories, 12 dealers, 6 sub-dealers, 120 stores.
    "default": Scale(4, 3, 10, 0.5, 60, 2.0, 12, 60, 40, 40, 40, 12, 2),
    # 4 territories, 4 dealers, 2 sub-dealers, 16 stores: the test suite's world.
    "small": Scale(2, 2, 4, 0.5, 20, 1.0, 6, 15, 10, 10, 10, 4, 1),
    # The console demo: a lively week of a 6-territory brand.
    "demo": Scale(2, 3, 6, 0.5, 30, 2.0, 12, 6, 3, 4, 4, 2, 0),
}

LAT0, LON0 = 28.0, 110.0
CELL_LAT, CELL_LON = 0.8, 0.9
KM_PER_DEG_LAT = 111.2


@dataclass(frozen=True, slots=True)
class Territory:
    id: str
    name: str
    row: int
    col: int
    south: float
    west: float
    north: float
    east: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.south + self.north) / 2, (self.west + self.east) / 2

    def ring(self) -> list[list[float]]:
        s, w, n, e = self.south, self.west, self.north, self.east
        return [[w, s], [e, s], [e, n], [w, n], [w, s]]


@dataclass(frozen=True, slots=True)
class Party:
    id: str
    kind: Literal["plant", "dealer", "retailer"]
    name: str
    lat: float
    lon: float
    parent_id: str | None = None
    territory_id: str | None = None  # the territory it serves (dealers: holds it)
    near_border: bool = False

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "location": {"lat": round(self.lat, 6), "lon": round(self.lon, 6)},
        }
        if self.parent_id:
            body["parent_id"] = self.parent_id
        return body


@dataclass(frozen=True, slots=True)
class Consumer:
    id: str
    territory_id: str
    home: tuple[float, float]


@dataclass
class World:
    prefix: str
    seed: int
    scale: Scale
    gtins: list[str]
    plant: Party
    territories: dict[str, Territory]
    dealers: dict[str, Party]  # territory id -> its dealer
    sub_dealers: dict[str, Party]  # sub-dealer id -> sub-dealer
    stores: dict[str, Party]
    consumers: dict[str, list[Consumer]]  # territory id -> consumers living there
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def parties(self) -> list[Party]:
        return [
            self.plant,
            *self.dealers.values(),
            *self.sub_dealers.values(),
            *self.stores.values(),
        ]

    def party(self, party_id: str) -> Party:
        return next(p for p in self.parties if p.id == party_id)

    def dealer_of(self, party: Party) -> Party:
        """The territory-holding dealer above a store or sub-dealer (or the dealer itself)."""
        assert party.territory_id is not None
        return self.dealers[party.territory_id]


def gtin14(item_reference: int, company_prefix: str = "6901234") -> str:
    """A GTIN-14 with a valid check digit (indicator 0)."""
    body = f"0{company_prefix}{item_reference:05d}"[:13]
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """A point `north_m`/`east_m` metres from (lat, lon)."""
    dlat = north_m / (KM_PER_DEG_LAT * 1000)
    dlon = east_m / (KM_PER_DEG_LAT * 1000 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def point_inside(rng: random.Random, t: Territory, margin_m: float) -> tuple[float, float]:
    """A uniform point of `t` at least `margin_m` from its edges."""
    mlat = margin_m / (KM_PER_DEG_LAT * 1000)
    mlon = margin_m / (KM_PER_DEG_LAT * 1000 * math.cos(math.radians(t.south)))
    return rng.uniform(t.south + mlat, t.north - mlat), rng.uniform(t.west + mlon, t.east - mlon)


def _border_point(
    rng: random.Random, t: Territory, grid: dict[tuple[int, int], Territory]
) -> tuple[float, float]:
    """A point 300 m - 1.5 km inside `t` from an edge it shares with a neighbour."""
    sides = [
        (dr, dc)
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1))
        if (t.row + dr, t.col + dc) in grid
    ]
    dr, dc = rng.choice(sides)
    inset = rng.uniform(300.0, 1500.0)
    lat, lon = point_inside(rng, t, 5_000.0)
    if dr == 1:
        lat, _ = offset(t.north, lon, -inset, 0)
    elif dr == -1:
        lat, _ = offset(t.south, lon, inset, 0)
    elif dc == 1:
        _, lon = offset(lat, t.east, 0, -inset)
    else:
        _, lon = offset(lat, t.west, 0, inset)
    return lat, lon


def build_world(seed: int = 7, scale: ScaleName = "default", prefix: str = "sim") -> World:
    s = SCALES[scale]
    rng = random.Random(f"world:{seed}:{scale}")  # noqa: S311 (seeded)
    grid: dict[tuple[int, int], Territory] = {}
    for r in range(s.rows):
        for c in range(s.cols):
            n = r * s.cols + c + 1
            south, west = LAT0 + r * CELL_LAT, LON0 + c * CELL_LON
            grid[(r, c)] = Territory(
                f"{prefix}-t{n:02d}",
                f"Region {n}",
                r,
                c,
                south,
                west,
                south + CELL_LAT,
                west + CELL_LON,
            )
    territories = {t.id: t for t in grid.values()}
    first = grid[(0, 0)]
    plant_at = point_inside(rng, first, 20_000.0)
    plant = Party(f"{prefix}-plant", "plant", "Plant 1", *plant_at)
    dealers: dict[str, Party] = {}
    subs: dict[str, Party] = {}
    stores: dict[str, Party] = {}
    consumers: dict[str, list[Consumer]] = {}
    for t in territories.values():
        num = t.id.rsplit("t", 1)[1]
        dealer = Party(
            f"{prefix}-d{num}",
            "dealer",
            f"Dealer {num}",
            *point_inside(rng, t, 20_000.0),
            None,
            t.id,
        )
        dealers[t.id] = dealer
        parents = [dealer.id]
        if rng.random() < s.sub_dealer_share:
            sub = Party(
                f"{prefix}-d{num}s",
                "dealer",
                f"Sub-dealer {num}",
                *point_inside(rng, t, 15_000.0),
                dealer.id,
                t.id,
            )
            subs[sub.id] = sub
            parents.append(sub.id)
        for k in range(s.stores_per_territory):
            border = k % 4 == 1
            at = _border_point(rng, t, grid) if border else point_inside(rng, t, 3_000.0)
            parent = parents[-1] if len(parents) > 1 and k % 3 == 2 else parents[0]
            sid = f"{prefix}-s{num}{k:02d}"
            stores[sid] = Party(
                sid, "retailer", f"Store {num}-{k:02d}", *at, parent, t.id, near_border=border
            )
        consumers[t.id] = [
            Consumer(f"{prefix}-c{num}-{k:03d}", t.id, point_inside(rng, t, 2_000.0))
            for k in range(s.consumers_per_territory)
        ]
    return World(
        prefix=prefix,
        seed=seed,
        scale=s,
        gtins=[gtin14(101), gtin14(102)],
        plant=plant,
        territories=territories,
        dealers=dealers,
        sub_dealers=subs,
        stores=stores,
        consumers=consumers,
    )
