"""Injected incidents, each with its ground truth: what happened, which codes, who is the source.

- dealer diversion: a dealer sends a case to a store of another territory, (a) scanning the
  `dealer_ship` honestly, (b) without a shipment scan, the foreign store's receipt betrays it,
  or (c) into the grey market: no party scans it, consumers far away check the items;
- sub-dealer diversion: the same through a sub-dealer ((a) and (b)); the sub-dealer is the
  source, not its dealer;
- clone: a sold item's genuine code copied onto fakes, checked by strangers in other cities;
- counterfeit: fabricated payloads (a made-up serial, a forged signature) checked by consumers
  or received by a store;
- leaked code: codes of a batch issued but never commissioned turn up in the market;
- turnover spike: a dealer ships five times its usual weekly volume in the last days.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from codegen.payload import parse_payload
from risk_engine.simulator.traffic import DAY, Planner
from risk_engine.simulator.world import Party, Territory


@dataclass
class Incident:
    id: int
    type: str  # the alert type that must catch it
    variant: str
    codes: set[str]
    probe: str  # a code (or, for turnover spikes, a party id) to poll alerts for
    source: str | None = None
    latency_s: float | None = None  # wall time of the call after which it was visible
    alert_ids: list[str] = field(default_factory=list)


def code_of(payload: str) -> str:
    return parse_payload(payload).code


class Injector:
    def __init__(self, plan: Planner) -> None:
        self.plan = plan
        self.rng = random.Random(f"incidents:{plan.world.seed}")  # noqa: S311 (seeded)
        self.incidents: list[Incident] = []

    def _new(self, type_: str, variant: str, codes: list[str], source: str | None) -> Incident:
        incident = Incident(len(self.incidents), type_, variant, set(codes), codes[0], source)
        self.incidents.append(incident)
        return incident

    def _day(self, earliest: timedelta, latest: timedelta) -> datetime:
        """A production day between `earliest` after the start and `latest` before now."""
        lo = self.plan.start + earliest
        hi = self.plan.now - latest
        t = lo + (hi - lo) * self.rng.random() if hi > lo else lo
        return t.replace(hour=0, minute=0, second=0, microsecond=0)

    def _foreign_store(self, territory_id: str) -> Party:
        stores = [s for s in self.plan.world.stores.values() if s.territory_id != territory_id]
        return self.rng.choice(stores)

    def _foreign_territory(self, territory_id: str) -> Territory:
        w = self.plan.world
        return self.rng.choice([t for t in w.territories.values() if t.id != territory_id])

    def inject_all(self) -> list[Incident]:
        s, w = self.plan.world.scale, self.plan.world
        dealers = list(w.dealers.values())
        for k in range(s.dealer_diversions):
            self.diversion(self.rng.choice(dealers), None, "abc"[k % 3])
        subs = list(w.sub_dealers.values())
        for k in range(s.sub_dealer_diversions if subs else 0):
            sub = self.rng.choice(subs)
            self.diversion(w.dealer_of(sub), sub, "ab"[k % 2])
        for _ in range(s.clones):
            self.clone()
        for k in range(s.counterfeits):
            self.counterfeit(by_store=k % 3 == 2)
        for k in range(s.leaked):
            self.leaked(k)
        if (self.plan.now - self.plan.start).days >= 33:  # a spike needs 4 weeks of history
            for dealer in self.rng.sample(dealers, min(s.spikes, len(dealers))):
                self.spike(dealer)
        # An incident whose scans would all fall after now (short runs) did not happen.
        played = {step.incident for step in self.plan.steps}
        return [i for i in self.incidents if i.id in played]

    # -- diversion -------------------------------------------------------------------------
    def diversion(self, dealer: Party, sub: Party | None, variant: str) -> None:
        p = self.plan
        case = p.case(self._day(timedelta(days=3), timedelta(days=9)))
        source = sub or dealer
        name = f"{'sub-dealer' if sub else 'dealer'} {variant}"
        incident = self._new("diversion", name, [code_of(x) for x in case.items], source.id)
        incident.codes.add(code_of(case.payload))
        i = incident.id
        t = p.to_dealer(case, dealer)
        if sub is not None:
            t = p.dealer_ship(dealer, sub, case, t)
        home = dealer.territory_id or ""
        if variant == "c":  # grey market: only consumers far away ever scan it
            foreign = self._foreign_territory(home)
            buyers = self.rng.sample(p.world.consumers[foreign.id], 5)
            for n, (item, buyer) in enumerate(zip(case.items, buyers, strict=False)):
                at = t + timedelta(days=2 + n * 0.5) + p.u(0, 6)
                at = min(at, p.now - timedelta(minutes=30 - n))
                p.verify(item, at, foreign.centre, buyer.id, incident=i, spread_m=25_000)
            return
        store = self._foreign_store(home)
        if variant == "a":
            t = p.dealer_ship(source, store, case, t, optional=False, incident=i)
            p.at_store(store, case, t, incident=i)
        else:
            t += p.u(24, 72)
            p.at_store(store, case, t, receive=1.0, incident=i)

    # -- codes -----------------------------------------------------------------------------
    def clone(self) -> None:
        p, rng = self.plan, self.rng
        choices = [s for s in p.sold if s[2] < p.now - DAY / 4]
        if not choices:  # a very short run: nothing sold and checked yet
            return
        item, store, at, _ = rng.choice(choices)
        p.sold.remove((item, store, at, _))
        incident = self._new("clone", "copied code", [code_of(item)], None)
        places = rng.sample(
            [t for t in p.world.territories.values() if t.id != store.territory_id], 2
        )
        copies = rng.randint(3, 6)
        for n in range(copies):
            where = places[n % 2]
            buyer = rng.choice(p.world.consumers[where.id]).id
            when = min(at + p.u(24, 72) + timedelta(hours=n * 6), p.now - timedelta(minutes=20))
            p.verify(item, when, where.centre, buyer, incident=incident.id, spread_m=20_000)

    def fake_payload(self) -> str:
        """A made-up serial under a genuine-looking header: not one of the brand's codes."""
        p = self.plan
        template = p.take(self.rng.choice(p.world.gtins), "item", 1)[0]
        parsed = parse_payload(template)
        alphabet = string.ascii_letters + string.digits
        serial = parsed.identity.code.rsplit(":", 1)[1]
        forged = "".join(self.rng.choice(alphabet) for _ in serial)
        sig = "".join(self.rng.choice(alphabet) for _ in range(85)) + "A"
        body = parsed.body.replace(f"/21/{serial}?", f"/21/{forged}?")
        return f"{body}&8030={sig}"

    def counterfeit(self, by_store: bool) -> None:
        p, rng = self.plan, self.rng
        fake = self.fake_payload()
        incident = self._new(
            "counterfeit", "store" if by_store else "consumer", [code_of(fake)], None
        )
        at = p.now - p.u(2, 24 * 20)
        if by_store:
            store = rng.choice(list(p.world.stores.values()))
            p.scan(store, fake, "retail_receive", at, incident=incident.id)
            return
        t = rng.choice(list(p.world.territories.values()))
        for n in range(rng.randint(1, 2)):
            buyer = rng.choice(p.world.consumers[t.id]).id
            when = at + timedelta(hours=n)
            p.verify(fake, when, t.centre, buyer, incident=incident.id, spread_m=25_000)

    def leaked(self, k: int) -> None:
        p, rng = self.plan, self.rng
        lot = f"LK{k:03d}"
        batch = p.api.issue(p.world.tokens["line"], p.world.gtins[0], lot, "item", 20)
        leaked = rng.sample(batch, 3)
        incident = self._new(
            "leaked_code", "never commissioned", [code_of(x) for x in leaked], None
        )
        incident.source = p.world.plant.id
        store = rng.choice(list(p.world.stores.values()))
        for n, payload in enumerate(leaked):
            at = p.now - p.u(2, 24 * 14)
            if n == 0 and rng.random() < 0.5:
                p.scan(store, payload, "retail_sell", at, incident=incident.id)
            else:
                t = p.world.territories[store.territory_id or ""]
                buyer = rng.choice(p.world.consumers[t.id]).id
                p.verify(payload, at, t.centre, buyer, incident=incident.id, spread_m=20_000)

    # -- turnover spike --------------------------------------------------------------------
    def spike(self, dealer: Party) -> None:
        p, w = self.plan, self.plan.world
        outlets = [s for s in w.stores.values() if s.parent_id == dealer.id]
        weekly = len([s for s in w.stores.values() if s.territory_id == dealer.territory_id])
        items = max(260, int(6 * weekly * w.scale.cases_per_store_week * w.scale.items_per_case))
        cases = -(-items // w.scale.items_per_case)
        incident = self._new("turnover_spike", "weekly volume x6", [dealer.id], dealer.id)
        for n in range(cases):
            case = p.case(self._day(timedelta(days=27), timedelta(days=6)))
            p.scan(w.plant, case.payload, "ship", case.made + p.u(2, 4), to=dealer)
            at = p.now - timedelta(hours=2 + 100 * n / cases)
            store = outlets[n % len(outlets)]
            p.scan(dealer, case.payload, "dealer_ship", at, to=store, incident=incident.id)
