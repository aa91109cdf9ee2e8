"""Honest traffic: production, logistics, sales and consumer checks, as timed API calls.

The planner turns the world into `Step`s (one HTTP call each, stamped with the simulated time
it is made); `play` sends them in that order. Real-world mess is deliberate: GPS fixes with
realistic accuracy radii (and errors beyond them a third of the time), skipped optional
scans, late uploads (a phone in a basement uploads hours or days later), consumers who check
again at home, who travel, who live across the border from their store.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from risk_engine.simulator.api import Api
from risk_engine.simulator.world import Consumer, Party, World, offset, point_inside

H = timedelta(hours=1)
DAY = timedelta(days=1)
MAX_BATCH = 1000


@dataclass
class Step:
    at: datetime  # simulated time the call is made (the upload, not the scan)
    kind: Literal["batch", "scan", "verify"]
    who: str  # token key ("" for consumers)
    body: dict[str, Any]
    incident: int | None = None
    seq: int = 0


@dataclass
class Case:
    payload: str
    items: list[str]
    gtin: str
    made: datetime


@dataclass
class Planner:
    world: World
    api: Api
    rng: random.Random
    now: datetime
    start: datetime
    steps: list[Step] = field(default_factory=list)
    pools: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    line_days: dict[datetime, list[tuple[dict[str, Any], dict[str, Any]]]] = field(
        default_factory=dict
    )
    lots: int = 0
    sold: list[tuple[str, Party, datetime, Consumer | None]] = field(default_factory=list)

    # -- codes -----------------------------------------------------------------------------
    def take(self, gtin: str, level: str, n: int) -> list[str]:
        pool = self.pools.setdefault((gtin, level), [])
        if len(pool) < n:
            self.lots += 1
            pool += self.api.issue(
                self.world.tokens["line"], gtin, f"L{self.lots:03d}", level, max(n, 600)
            )
        taken, pool[:] = pool[:n], pool[n:]
        return taken

    def case(self, day: datetime, gtin: str | None = None) -> Case:
        """A case made on `day` (06:00-08:00): commissioned and packed in that day's upload."""
        gtin = gtin or self.rng.choice(self.world.gtins)
        items = self.take(gtin, "item", self.world.scale.items_per_case)
        [payload] = self.take(gtin, "case", 1)
        made = day.replace(hour=6) + timedelta(minutes=self.rng.uniform(0, 120))
        commission = [self._line_scan(p, "commission", made) for p in (*items, payload)]
        pack = self._line_scan(payload, "pack", made + timedelta(minutes=3))
        pack["children"] = items
        bucket = self.line_days.setdefault(day.replace(hour=0, minute=0, second=0), [])
        bucket.append(({"scans": commission}, pack))
        return Case(payload, items, gtin, made)

    def _line_scan(self, payload: str, checkpoint: str, at: datetime) -> dict[str, Any]:
        body = {"event_id": str(uuid.uuid4()), "payload": payload, "checkpoint": checkpoint}
        return {**body, "scanned_at": at.isoformat(), "location": self.fix(self.world.plant)}

    def line_uploads(self) -> None:
        """Each production day's commission and pack scans, uploaded at 08:05 in batches."""
        for day, cases in self.line_days.items():
            commission = [s for c, _ in cases for s in c["scans"]]
            packs = [p for _, p in cases]
            for n, scans in enumerate((commission, packs)):
                for i in range(0, len(scans), MAX_BATCH):
                    at = day + timedelta(hours=8, minutes=5 + n, seconds=i / MAX_BATCH)
                    self.steps.append(
                        Step(at, "batch", "line", {"scans": scans[i : i + MAX_BATCH]})
                    )

    # -- locations -------------------------------------------------------------------------
    def accuracy(self) -> float:
        """Phone GPS: mostly 5-30 m, sometimes worse indoors, rarely cell-level."""
        r = self.rng.random()
        if r < 0.65:
            return round(self.rng.uniform(5, 30), 1)
        if r < 0.90:
            return round(self.rng.uniform(30, 150), 1)
        if r < 0.98:
            return round(self.rng.uniform(150, 1500))
        return round(self.rng.uniform(1500, 5000))

    def noisy(self, lat: float, lon: float, spread_m: float = 0.0) -> dict[str, float]:
        """A fix near (lat, lon): the true error exceeds the reported radius 1/3 of the time."""
        acc = self.accuracy()
        sigma = acc / 1.5
        r = min(math.hypot(self.rng.gauss(0, sigma), self.rng.gauss(0, sigma)), 3 * acc)
        r += self.rng.uniform(0, spread_m)
        bearing = self.rng.uniform(0, 2 * math.pi)
        lat, lon = offset(lat, lon, r * math.cos(bearing), r * math.sin(bearing))
        return {"lat": round(lat, 6), "lon": round(lon, 6), "accuracy_m": acc}

    def fix(self, party: Party) -> dict[str, float]:
        return self.noisy(party.lat, party.lon, 40)

    # -- scans -----------------------------------------------------------------------------
    def scan(
        self,
        party: Party,
        payload: str,
        checkpoint: str,
        at: datetime,
        *,
        to: Party | None = None,
        unpack: bool = False,
        incident: int | None = None,
    ) -> bool:
        """Plan one staff scan; False when it has not happened (or been uploaded) by now."""
        body: dict[str, Any] = {
            "event_id": str(uuid.uuid4()),
            "payload": payload,
            "checkpoint": checkpoint,
            "scanned_at": at.isoformat(),
        }
        if self.rng.random() >= 0.08:
            body["location"] = self.fix(party)
        if to is not None:
            body["to_party_id"] = to.id
        if unpack:
            body["unpack"] = True
        late = incident is None and self.rng.random() < 0.08
        sent = at + (
            timedelta(hours=self.rng.uniform(2, 72))
            if late
            else timedelta(seconds=self.rng.uniform(2, 90))
        )
        if sent > self.now:
            return False
        self.steps.append(Step(sent, "scan", party.id, body, incident))
        return True

    def verify(
        self,
        payload: str,
        at: datetime,
        where: tuple[float, float] | None,
        consumer: str | None,
        *,
        incident: int | None = None,
        spread_m: float = 0.0,
    ) -> bool:
        if at > self.now:
            return False
        body: dict[str, Any] = {"payload": payload}
        if where is not None and self.rng.random() >= 0.08:
            body["location"] = self.noisy(*where, spread_m=spread_m)
        if consumer:
            body["consumer_id"] = consumer
        self.steps.append(Step(at, "verify", "", body, incident))
        return True

    # -- flows -----------------------------------------------------------------------------
    def u(self, lo: float, hi: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(lo, hi))

    def to_dealer(self, case: Case, dealer: Party, incident: int | None = None) -> datetime:
        """Plant warehouse and shipment to a dealer; returns when the dealer has the goods."""
        plant = self.world.plant
        t = case.made.replace(hour=9) + self.u(0, 9)
        if incident is None and self.rng.random() < 0.5:
            self.scan(plant, case.payload, "warehouse_in", t - self.u(0.2, 0.8))
        self.scan(plant, case.payload, "ship", t, to=dealer, incident=incident)
        t += self.u(4, 30)
        if self.rng.random() >= 0.10:
            self.scan(dealer, case.payload, "dealer_receive", t, incident=incident)
        return t

    def dealer_ship(
        self,
        sender: Party,
        to: Party,
        case: Case,
        t: datetime,
        *,
        optional: bool = True,
        incident: int | None = None,
    ) -> datetime:
        t += self.u(6, 48)
        if not optional or self.rng.random() >= 0.05:
            self.scan(sender, case.payload, "dealer_ship", t, to=to, incident=incident)
        t += self.u(3, 24)
        if to.kind == "dealer" and self.rng.random() >= 0.10:
            self.scan(to, case.payload, "dealer_receive", t, incident=incident)
        return t

    def at_store(
        self,
        store: Party,
        case: Case,
        t: datetime,
        *,
        receive: float = 0.7,
        sell: float = 0.75,
        incident: int | None = None,
    ) -> None:
        """Receive (opening the case), sell items over ten days, consumers check some."""
        if self.rng.random() < receive:
            self.scan(store, case.payload, "retail_receive", t, unpack=True, incident=incident)
        for item in case.items:
            sale = t + self.u(4, 240)
            if sale > self.now - timedelta(minutes=10):
                continue
            if self.rng.random() < sell:
                self.scan(store, item, "retail_sell", sale, incident=incident)
            if self.rng.random() < 0.35:
                self.consumer_checks(item, store, sale, incident)

    def consumer_checks(
        self, item: str, store: Party, sale: datetime, incident: int | None = None
    ) -> None:
        w, rng = self.world, self.rng
        at = sale + self.u(0, 36)
        consumer = (
            rng.choice(w.consumers[store.territory_id or ""]) if rng.random() < 0.85 else None
        )
        cid = consumer.id if consumer else None
        if rng.random() < 0.4:
            where, spread = (store.lat, store.lon), 200.0
        elif store.near_border and rng.random() < 0.5:  # lives across the border
            where, spread = (store.lat, store.lon), rng.uniform(2_000, 8_000)
        elif consumer is not None:
            where, spread = consumer.home, 0.0
        else:
            t = w.territories[store.territory_id or ""]
            where, spread = point_inside(rng, t, 2_000.0), 0.0
        if not self.verify(item, at, where, cid, incident=incident, spread_m=spread):
            return
        if incident is None:
            self.sold.append((item, store, at, consumer))
        if consumer is None:
            if rng.random() < 0.1:  # the family passes the phone around: one session
                self.verify(item, at + timedelta(minutes=2), where, None)
            return
        if rng.random() < 0.2:  # checks again at home
            self.verify(item, at + self.u(24, 120), consumer.home, cid)
        if rng.random() < 0.03:  # takes it on a trip
            others = [t for t in w.territories.values() if t.id != store.territory_id]
            trip = rng.choice(others)
            self.verify(item, at + self.u(24, 240), trip.centre, cid, spread_m=20_000)

    def honest(self) -> None:
        """Every store gets `cases_per_store_week` cases a week through its dealer chain."""
        w, rng = self.world, self.rng
        span = (self.now - DAY - self.start).total_seconds()
        for store in w.stores.values():
            dealer = w.dealer_of(store)
            n = max(1, round(span / 86400 / 7 * w.scale.cases_per_store_week))
            for k in range(n):
                when = self.start + timedelta(seconds=(k + rng.random()) * span / n)
                case = self.case(when.replace(hour=0, minute=0, second=0, microsecond=0))
                t = self.to_dealer(case, dealer)
                if store.parent_id != dealer.id:
                    t = self.dealer_ship(dealer, w.party(store.parent_id or ""), case, t)
                    t = self.dealer_ship(w.party(store.parent_id or ""), store, case, t)
                else:
                    t = self.dealer_ship(dealer, store, case, t)
                self.at_store(store, case, t)
