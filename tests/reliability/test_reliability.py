"""Reliability under load, against a real server process and its embedded PostgreSQL.

1. SIGKILL the API in the middle of a load run: every acknowledged scan is stored, once; a client
   that retries its unacknowledged scans (same event_id, same body) ends with exactly one copy.
2. Stop PostgreSQL under load: the API answers 503 + Retry-After (problem+json) while it is down,
   never a 500 or a hang, and recovers by itself once PostgreSQL is back.

Every process started here is stopped in a `finally`, and the end of each test checks that no
PostgreSQL is left running on its data dir.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx2 as httpx
import orjson
import psutil
import pytest

from benchmarks.harness import Server, postgres_dsn, postmaster, start_postgres, stop_postgres

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name != "posix", reason="signals and Unix sockets"),
]

GTIN = "05901234123457"
DEALER = {"lat": 31.23, "lon": 121.47}
CLIENTS = 8
REQUEST_TIMEOUT_S = 10


def _prepare(server: Server, codes: int) -> tuple[str, list[str]]:
    """A plant and a dealer; `codes` item codes commissioned. Returns (dealer token, payloads)."""
    with server.client(timeout=60) as api:
        product = {"name": "Tea", "unit_value": "9.90", "currency": "CNY"}
        api.put(f"/v1/products/{GTIN}", json=product).raise_for_status()
        for pid, kind in (("plant-r", "plant"), ("dealer-r", "dealer")):
            body = {"kind": kind, "name": pid, "location": DEALER}
            api.put(f"/v1/parties/{pid}", json=body).raise_for_status()
        tokens = {}
        for role, party in (("line", "plant-r"), ("logistics", "dealer-r")):
            body = {"role": role, "name": f"rel-{role}", "party_id": party}
            created = api.post("/v1/tokens", json=body)
            created.raise_for_status()
            tokens[role] = created.json()["token"]
        body = {"gtin": GTIN, "lot": "R1", "count": codes, "plant_id": "plant-r"}
        batch = api.post("/v1/code-batches", json=body).raise_for_status()
        lines = api.get(f"/v1/code-batches/{batch.json()['batch_id']}/codes").raise_for_status()
        payloads = [orjson.loads(x)["payload"] for x in lines.content.splitlines()]
        scans = [
            {
                "event_id": str(uuid.uuid4()),
                "payload": p,
                "checkpoint": "commission",
                "scanned_at": datetime.now(UTC).isoformat(),
            }
            for p in payloads
        ]
        line_headers = {"Authorization": f"Bearer {tokens['line']}"}
        done = api.post("/v1/scans/batch", json={"scans": scans}, headers=line_headers)
        done.raise_for_status()
        assert {r["status"] for r in done.json()["results"]} == {"created"}
    return tokens["logistics"], payloads


def _scan_body(payloads: list[str]) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "payload": random.choice(payloads),
        "checkpoint": "dealer_receive",
        "scanned_at": datetime.now(UTC).isoformat(),
        "location": {
            "lat": DEALER["lat"] + random.uniform(-0.001, 0.001),
            "lon": DEALER["lon"] + random.uniform(-0.001, 0.001),
            "accuracy_m": 15,
        },
    }


@dataclass
class Observed:
    """One request: when it ended, its status (None: no answer) and what came back."""

    at: float
    status: int | None
    event_id: str | None = None
    retry_after: str | None = None
    content_type: str = ""
    error: str = ""


@dataclass
class Load:
    """CLIENTS threads posting single scans until stopped; every attempt is recorded."""

    base: str
    token: str
    payloads: list[str]
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    log: list[Observed] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Load:
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(CLIENTS)]
        for thread in self.threads:
            thread.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(REQUEST_TIMEOUT_S + 5)
        assert not any(t.is_alive() for t in self.threads), "a client thread hung"

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=REQUEST_TIMEOUT_S) as c:
            while not self.stop.is_set():
                body = _scan_body(self.payloads)
                with self.lock:
                    self.sent[body["event_id"]] = body
                try:
                    response = c.post("/v1/scans", json=body)
                except httpx.TransportError as exc:
                    self._record(Observed(time.monotonic(), None, error=type(exc).__name__))
                    time.sleep(0.05)  # the server is gone: don't spin
                    continue
                self._record(
                    Observed(
                        time.monotonic(),
                        response.status_code,
                        body["event_id"],
                        response.headers.get("retry-after"),
                        response.headers.get("content-type", ""),
                    ),
                    acked=response.is_success,
                )
                if response.status_code == 503:
                    time.sleep(0.05)

    def _record(self, observed: Observed, acked: bool = False) -> None:
        with self.lock:
            self.log.append(observed)
            if acked and observed.event_id:
                self.acked.add(observed.event_id)

    def between(self, start: float, end: float) -> list[Observed]:
        with self.lock:
            return [o for o in self.log if start <= o.at <= end]


async def _stored(dsn: str, event_ids: list[str]) -> dict[str, int]:
    """How many scan_events rows each of `event_ids` has (absent: none)."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT event_id::text AS id, count(*) AS n FROM scan_events"
            " WHERE event_id = ANY($1::uuid[]) GROUP BY event_id",
            event_ids,
        )
        return {r["id"]: r["n"] for r in rows}
    finally:
        await conn.close()


async def _rows_of(dsn: str, party_id: str) -> int:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM scan_events WHERE party_id = $1", party_id
        )
        return count
    finally:
        await conn.close()


def _wait_for(predicate: Any, timeout_s: float, every_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every_s)
    return False


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data dir whose PostgreSQL is stopped and which is removed whatever happens."""
    path = Path(tempfile.mkdtemp(prefix="sealtrace-rel-"))
    try:
        yield path
    finally:
        pgdata = path.resolve() / "pg"
        stop_postgres(pgdata)
        shutil.rmtree(path, ignore_errors=True)
        stray = [
            p.pid
            for p in psutil.process_iter(["cmdline"])
            if any(str(pgdata) in arg for arg in p.info["cmdline"] or ())
        ]
        assert not stray, f"processes left running on {pgdata}: {stray}"


def test_sigkill_under_load_loses_no_acknowledged_scan_and_retries_store_once(
    data_dir: Path,
) -> None:
    first = Server(data_dir=data_dir, keep=True)
    with first:
        token, payloads = _prepare(first, 200)
        load = Load(first.base, token, payloads).start()
        try:
            assert _wait_for(lambda: len(load.acked) >= 200, 20), "no load reached the server"
            time.sleep(1.5)  # well into the run
            os.kill(first.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            assert first.proc is not None
            first.proc.wait(10)
            # Clients keep trying against the dead port for a moment, as real ones would.
            time.sleep(1.5)
        finally:
            load.finish()
        admin = first.token
    # The killed API leaves its embedded PostgreSQL running; the next server attaches to it.
    assert postmaster(first.pg_data) is not None
    unacked = [e for e in load.sent if e not in load.acked]
    assert len(load.acked) >= 200
    assert unacked, "the kill should have cut off some requests"
    assert all(o.status is None for o in load.log if o.at > killed_at + 1)

    with Server(data_dir=data_dir, token=admin) as second:
        dsn = postgres_dsn(second.pg_data)
        stored = asyncio.run(_stored(dsn, list(load.sent)))
        missing = [e for e in load.acked if stored.get(e) != 1]
        assert not missing, f"{len(missing)} acknowledged scans are not stored exactly once"
        assert all(n == 1 for n in stored.values())

        print(
            f"sent {len(load.sent)}, acknowledged {len(load.acked)}, unacknowledged "
            f"{len(unacked)} of which committed before the kill {len(set(unacked) & set(stored))}"
        )
        # Retry every unacknowledged scan, same event_id and body: stored ones are replayed.
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=second.base, headers=headers, timeout=30) as c:
            for event_id in unacked:
                response = c.post("/v1/scans", json=load.sent[event_id])
                expected = 200 if event_id in stored else 201
                assert response.status_code == expected, response.text
                assert response.json()["event_id"] == event_id
            # A second retry of anything is a replay.
            again = c.post("/v1/scans", json=load.sent[unacked[0]])
            assert again.status_code == 200

        after = asyncio.run(_stored(dsn, list(load.sent)))
        assert len(after) == len(load.sent)
        assert set(after.values()) == {1}
        assert asyncio.run(_rows_of(dsn, "dealer-r")) == len(load.sent)


def test_postgres_restart_under_load_gives_503_with_retry_after_and_recovers(
    data_dir: Path,
) -> None:
    with Server(data_dir=data_dir) as server:
        token, payloads = _prepare(server, 200)
        load = Load(server.base, token, payloads).start()
        readyz: list[Observed] = []
        probing = threading.Event()

        def probe() -> None:
            with httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT_S) as c:
                while not probing.is_set():
                    try:
                        r = c.get("/readyz")
                        readyz.append(
                            Observed(
                                time.monotonic(),
                                r.status_code,
                                retry_after=r.headers.get("retry-after"),
                                content_type=r.headers.get("content-type", ""),
                            )
                        )
                    except httpx.TransportError as exc:
                        readyz.append(Observed(time.monotonic(), None, error=type(exc).__name__))
                    time.sleep(0.1)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        socket_dir: Path | None = None
        try:
            assert _wait_for(lambda: len(load.acked) >= 100, 20), "no load reached the server"
            socket_dir = stop_postgres(server.pg_data)
            assert socket_dir is not None
            down_at = time.monotonic()
            time.sleep(3)
            up_at = time.monotonic()
            start_postgres(server.pg_data, socket_dir)
            socket_dir = None
            started_at = time.monotonic()

            def recovered() -> bool:
                scans = load.between(started_at, time.monotonic())
                ready = [o for o in readyz if o.at >= started_at]
                return any(o.status == 201 for o in scans) and any(o.status == 200 for o in ready)

            assert _wait_for(recovered, 10), "the API did not recover within 10 s of PostgreSQL"
            recovered_in = time.monotonic() - started_at
            time.sleep(0.5)
        finally:
            if socket_dir is not None:  # failed between stop and start: bring it back
                start_postgres(server.pg_data, socket_dir)
            load.finish()
            probing.set()
            prober.join(REQUEST_TIMEOUT_S + 5)

        counts = {s: sum(o.status == s for o in load.log) for s in {o.status for o in load.log}}
        print(f"scan answers {counts}; recovered {recovered_in:.2f} s after PostgreSQL started")
        # While it was down (from just after the stop returned until the start began; the margin
        # lets answers already on their way arrive): 503 + Retry-After, and nothing else.
        down = load.between(down_at + 1, up_at)
        assert down, "no scan was attempted while PostgreSQL was down"
        assert {o.status for o in down} == {503}, {o.status for o in down}
        assert all(o.retry_after and int(o.retry_after) > 0 for o in down)
        assert all(o.content_type.startswith("application/problem+json") for o in down)
        ready_down = [o for o in readyz if down_at + 1 <= o.at <= up_at]
        assert ready_down and {o.status for o in ready_down} == {503}
        assert all(o.retry_after for o in ready_down)
        # Never a 500, never a request without an answer, during the whole run.
        statuses = {o.status for o in load.log} | {o.status for o in readyz}
        assert statuses <= {200, 201, 503}, statuses
        # And what was acknowledged is stored.
        stored = asyncio.run(_stored(postgres_dsn(server.pg_data), list(load.acked)))
        assert len(stored) == len(load.acked)
    assert server.proc is not None and server.proc.returncode is not None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_server_stops_its_embedded_postgres(tmp_path: Path, sig: signal.Signals) -> None:
    """Found by a review: after SIGTERM (docker, systemd, `timeout`) the embedded PostgreSQL
    kept running; uvicorn re-raised the signal and the default handler killed the process
    before the cleanup. Ctrl-C (SIGINT) always stopped it."""
    server = Server(data_dir=tmp_path / "data", keep=True)
    with server:
        assert postmaster(server.pg_data) is not None
        assert server.proc is not None
        server.proc.send_signal(sig)
        server.proc.wait(30)
    try:
        assert postmaster(server.pg_data) is None
    finally:
        stop_postgres(server.pg_data)


def test_a_killed_embedded_postgres_is_started_again_under_load(data_dir: Path) -> None:
    """Found by a review: an embedded PostgreSQL killed under the API (kill -9, the OOM
    killer) stayed down, every request answered 503 until someone restarted something. The
    API now starts it again (`traceability.db.embedded.keep_alive`); WAL recovery keeps every
    acknowledged scan."""
    with Server(data_dir=data_dir) as server:
        token, payloads = _prepare(server, 200)
        load = Load(server.base, token, payloads).start()
        try:
            assert _wait_for(lambda: len(load.acked) >= 100, 20), "no load reached the server"
            found = postmaster(server.pg_data)
            assert found is not None
            killed = found[0].pid
            found[0].kill()
            killed_at = time.monotonic()

            def started_again() -> bool:
                now = postmaster(server.pg_data)
                later = load.between(killed_at + 0.5, time.monotonic())
                return (
                    now is not None and now[0].pid != killed and any(o.status == 201 for o in later)
                )

            assert _wait_for(started_again, 30), "PostgreSQL was not started again in 30 s"
            print(f"scans stored again {time.monotonic() - killed_at:.2f} s after the kill")
            time.sleep(0.5)
        finally:
            load.finish()
        statuses = {o.status for o in load.log}
        assert statuses <= {201, 503}, statuses
        refused = [o for o in load.log if o.status == 503]
        assert all(o.retry_after and int(o.retry_after) > 0 for o in refused)
        stored = asyncio.run(_stored(postgres_dsn(server.pg_data), list(load.acked)))
        assert len(stored) == len(load.acked)
