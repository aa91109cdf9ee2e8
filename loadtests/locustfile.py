"""A realistic mix against a local Sealtrace: line bursts, logistics custody scans, consumers.

Run through `python -m loadtests.run` (`make loadtest`), which starts the server, prepares the
world (master data, tokens, pallets of cases of items shipped to the dealers, a pool of issued
codes for the line) and passes it in the JSON file named by SEALTRACE_LOADTEST_WORLD.

- LineUser: the packaging line reports bursts of 200-1,000 printed codes through
  POST /v1/scans/batch (`commission`); when its pool runs out it requests a new code batch.
- LogisticsUser: dealers receive pallets (unpacking them), ship cases on to their stores (now and
  then to another dealer's store: diversion), stores receive the cases and sell the items, with a
  GPS fix near the scanning party, through POST /v1/scans.
- ConsumerUser: POST /v1/verify with a consumer id and a location near where the item was sold
  (some travellers, a few tampered codes).

Every request fails on anything but its expected status (a 200 replay of a single scan counts as
success); a batch fails when any of its scans was rejected.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from locust import FastHttpUser, between, events, task
from locust.env import Environment

WORLD_ENV = "SEALTRACE_LOADTEST_WORLD"
LOOPBACK = "127.0.0.1"


def _load_world() -> dict[str, Any]:
    path = os.environ.get(WORLD_ENV)
    if not path:
        raise SystemExit(f"{WORLD_ENV} is not set: run `python -m loadtests.run` (make loadtest)")
    with open(path) as handle:
        world: dict[str, Any] = json.load(handle)
    return world


WORLD = _load_world()
PARTIES: dict[str, dict[str, Any]] = WORLD["parties"]
STORES_OF = {
    dealer: [p for p, body in PARTIES.items() if body.get("parent_id") == dealer]
    for dealer, body in PARTIES.items()
    if body["kind"] == "dealer"
}
ALL_STORES = [p for p, body in PARTIES.items() if body["kind"] == "retailer"]
# Shared by every user of this (single) locust process: gevent greenlets, one thread.
LINE_POOL: deque[str] = deque(WORLD["line_codes"])
PALLETS: deque[dict[str, Any]] = deque(WORLD["pallets"])
ITEMS: list[str] = [i for p in WORLD["pallets"] for c in p["cases"] for i in c["items"]]
SOLD_AT: dict[str, str] = {}  # item payload -> store that sold it
CONSUMERS = [f"c-{n:05d}" for n in range(5000)]
VERIFY_MISSING = {"flag": False}  # /v1/verify not deployed: consumers idle instead of failing


@events.init.add_listener
def _only_loopback(environment: Environment, **_: Any) -> None:
    host = urlsplit(environment.host or "").hostname
    if host != LOOPBACK or urlsplit(WORLD["host"]).hostname != LOOPBACK:
        raise SystemExit(f"load tests only target {LOOPBACK}, not {host!r}")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _near(party_id: str, spread_deg: float = 0.0005) -> dict[str, float]:
    """A GPS fix near a party: a few tens of metres of noise and a plausible accuracy."""
    loc = PARTIES[party_id]["location"]
    return {
        "lat": round(loc["lat"] + random.uniform(-spread_deg, spread_deg), 6),
        "lon": round(loc["lon"] + random.uniform(-spread_deg, spread_deg), 6),
        "accuracy_m": random.choice([5, 10, 15, 25, 40, 65]),
    }


def _headers(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {WORLD['tokens'][who]}"}


def _tamper(payload: str) -> str:
    chars = list(payload)
    chars[-5] = "B" if chars[-5] != "B" else "C"
    return "".join(chars)


class LineUser(FastHttpUser):
    """A packaging line: a burst of commissioned codes every few seconds."""

    fixed_count = 2
    wait_time = between(1, 3)

    def _issue(self, count: int) -> None:
        """Request a new code batch when the prepared pool has run out."""
        body = {"gtin": WORLD["gtin"], "lot": "L-MORE", "count": count}
        with self.client.post(
            "/v1/code-batches",
            json=body,
            headers=_headers("line"),
            name="/v1/code-batches",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}")
                return
            batch_id = response.json()["batch_id"]
        with self.client.get(
            f"/v1/code-batches/{batch_id}/codes",
            headers=_headers("line"),
            name="/v1/code-batches/{id}/codes",
            catch_response=True,
        ) as codes:
            if codes.status_code != 200 or not codes.text:
                codes.failure(f"status {codes.status_code}")
                return
            LINE_POOL.extend(json.loads(x)["payload"] for x in codes.text.splitlines())

    @task
    def commission_burst(self) -> None:
        size = random.randint(200, 1000)
        if len(LINE_POOL) < size:
            self._issue(max(size, 5000))
        burst = [LINE_POOL.popleft() for _ in range(min(size, len(LINE_POOL)))]
        if not burst:
            return
        now = _now()
        scans = [
            {
                "event_id": str(uuid.uuid4()),
                "payload": p,
                "checkpoint": "commission",
                "scanned_at": now,
            }
            for p in burst
        ]
        with self.client.post(
            "/v1/scans/batch",
            json={"scans": scans},
            headers=_headers("line"),
            name="/v1/scans/batch (commission)",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            results = response.json()["results"]
            rejected = [r for r in results if r["status"] == "rejected"]
            if rejected or len(results) != len(scans):
                detail = rejected[0]["error"]["detail"] if rejected else "result count"
                response.failure(f"{len(rejected)} of {len(scans)} rejected: {detail}")


class LogisticsUser(FastHttpUser):
    """Dealer and store staff working through the goods, one scan at a time."""

    weight = 10
    wait_time = between(0.1, 0.6)

    def on_start(self) -> None:
        self.steps: Iterator[None] = iter(())

    def _scan(self, who: str, name: str, payload: str, checkpoint: str, **extra: Any) -> None:
        body = {
            "event_id": str(uuid.uuid4()),
            "payload": payload,
            "checkpoint": checkpoint,
            "scanned_at": _now(),
            "location": _near(who),
            **extra,
        }
        with self.client.post(
            "/v1/scans", json=body, headers=_headers(who), name=name, catch_response=True
        ) as response:
            if response.status_code not in (200, 201):  # 200: a replayed event_id
                response.failure(f"status {response.status_code}: {response.text[:200]}")

    def _pallet(self, pallet: dict[str, Any]) -> Iterator[None]:
        dealer = pallet["dealer"]
        # The dealer receives the pallet and breaks it into cases.
        yield self._scan(
            dealer, "/v1/scans dealer_receive pallet", pallet["payload"], "dealer_receive",
            unpack=True,
        )  # fmt: skip
        for case in pallet["cases"]:
            # Now and then a case goes to another dealer's store: the diversion to detect.
            diverted = random.random() < 0.03
            store = random.choice(ALL_STORES if diverted else STORES_OF[dealer])
            yield self._scan(
                dealer, "/v1/scans dealer_ship case", case["payload"], "dealer_ship",
                to_party_id=store,
            )  # fmt: skip
            yield self._scan(
                store, "/v1/scans retail_receive case", case["payload"], "retail_receive",
                unpack=True,
            )  # fmt: skip
            for item in case["items"]:
                if random.random() < 0.85:  # the rest stays on the shelf
                    yield self._scan(store, "/v1/scans retail_sell item", item, "retail_sell")
                    SOLD_AT[item] = store

    @task
    def next_scan(self) -> None:
        try:
            next(self.steps)
        except StopIteration:
            if PALLETS:
                self.steps = self._pallet(PALLETS.popleft())
                next(self.steps)
            else:  # every pallet is done: stores re-scan what they sold (stock checks)
                if SOLD_AT:
                    item, store = random.choice(list(SOLD_AT.items()))
                    self._scan(store, "/v1/scans retail_receive item", item, "retail_receive")


class ConsumerUser(FastHttpUser):
    """A consumer checking the product they bought; the mini-app posts to /v1/verify."""

    weight = 20
    wait_time = between(0.5, 2.0)

    @task
    def verify(self) -> None:
        if VERIFY_MISSING["flag"]:
            return
        sold = list(SOLD_AT.items())
        if sold and random.random() < 0.8:
            item, store = random.choice(sold)
        else:
            item, store = random.choice(ITEMS), random.choice(ALL_STORES)
        if random.random() < 0.05:  # travelling: checked far from the store
            store = random.choice(ALL_STORES)
        body: dict[str, Any] = {
            "payload": _tamper(item) if random.random() < 0.01 else item,
            "consumer_id": random.choice(CONSUMERS),
            "location": _near(store, spread_deg=0.03),
        }
        with self.client.post(
            "/v1/verify", json=body, name="/v1/verify", catch_response=True
        ) as response:
            if response.status_code == 404 and "verdict" not in (response.text or ""):
                VERIFY_MISSING["flag"] = True  # the endpoint is not there (yet): tolerated
                response.success()
            elif response.status_code != 200:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
