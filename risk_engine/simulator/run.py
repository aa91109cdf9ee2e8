"""Run a simulation: build the world, plan traffic and incidents, play them, score the alerts.

Transports: `in_process(dsn)` (the real app in a Starlette `TestClient`, lifespan included:
tests, `sealtrace demo`, and `sealtrace simulate` on a throwaway embedded PostgreSQL), or
`remote(url, token)` for a server already running on this machine. A remote server must be
started with `SEALTRACE_VERIFY_RATE_PER_ADDRESS_PER_MIN=0` and
`SEALTRACE_VERIFY_RATE_PER_CONSUMER_PER_MIN=0`: all simulated consumers share one address.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from risk_engine.simulator.api import Api, check_local_url, install
from risk_engine.simulator.incidents import Incident, Injector
from risk_engine.simulator.score import SERIOUS, ScoreCard, score
from risk_engine.simulator.traffic import Planner, Step
from risk_engine.simulator.world import ScaleName, World, build_world
from traceability.config import Settings


class WorldExists(RuntimeError):
    pass


@dataclass
class Result:
    world: World
    incidents: list[Incident]
    card: ScoreCard
    steps: int


def sim_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for an in-process app driven by the simulator: no consumer rate limits."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "log_level": "WARNING",
        "verify_rate_per_address_per_min": 0,
        "verify_rate_per_consumer_per_min": 0,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@contextmanager
def in_process(dsn: str, settings: Settings) -> Iterator[tuple[httpx.Client, str]]:
    """The app around `dsn` in a TestClient, and a fresh admin token for the simulator."""
    from starlette.testclient import TestClient

    from scan_api.app import create_app
    from traceability.auth import service as auth_service
    from traceability.auth.models import Role
    from traceability.db.runtime import run_with_connection

    name = f"simulator-{uuid.uuid4().hex[:16]}"
    issued = run_with_connection(
        dsn, lambda conn: auth_service.create_token(conn, Role.ADMIN, name, None)
    )
    with TestClient(create_app(settings, dsn=dsn), raise_server_exceptions=True) as client:
        yield client, issued.token


@contextmanager
def throwaway_database() -> Iterator[tuple[str, Path]]:
    """A fresh embedded PostgreSQL in a temporary directory, removed afterwards."""
    from traceability.db.embedded import start_embedded, stop_embedded

    with tempfile.TemporaryDirectory(prefix="sealtrace-sim-") as tmp:
        server = start_embedded(Path(tmp) / "pg" / "data")
        try:
            yield str(server.get_uri()), Path(tmp)
        finally:
            stop_embedded(server)


@contextmanager
def remote(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=check_local_url(url), timeout=60.0) as client:
        yield client


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=True,
    )


def simulate(
    http: httpx.Client,
    admin_token: str,
    *,
    seed: int = 7,
    weeks: int = 5,
    scale: ScaleName = "default",
    prefix: str = "sim",
    progress: bool = True,
    now: datetime | None = None,
) -> Result:
    """Build, plan, play and score one seeded world through the public API."""
    started = time.perf_counter()
    world = build_world(seed, scale, prefix)
    api = Api(http, admin_token)
    if api.exists(f"/v1/parties/{world.plant.id}"):
        raise WorldExists(f"party {world.plant.id} exists: this world was simulated here before")
    install(api, world)
    now = now or datetime.now(UTC)
    start = (now - timedelta(days=7 * weeks)).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(f"traffic:{seed}:{scale}")  # noqa: S311 (seeded)
    plan = Planner(world, api, rng, now, start)
    plan.honest()
    incidents = Injector(plan).inject_all()
    plan.line_uploads()
    latencies = play(api, world.tokens, plan.steps, incidents, progress)
    alerts = list(api.alerts())
    card = score(
        incidents,
        alerts,
        scan_latencies=latencies,
        calls=api.calls,
        seconds=time.perf_counter() - started,
    )
    return Result(world, incidents, card, len(plan.steps))


def play(
    api: Api,
    tokens: dict[str, dict[str, str]],
    steps: list[Step],
    incidents: list[Incident],
    progress: bool,
) -> list[float]:
    """Send every step in simulated-time order; poll the alerts after each incident step."""
    ordered = sorted(enumerate(steps), key=lambda p: (p[1].at, p[0]))
    by_id = {i.id: i for i in incidents}
    latencies: list[float] = []
    with _progress(progress) as bar:
        task = bar.add_task("playing traffic", total=len(ordered))
        for _, step in ordered:
            elapsed = _send(api, tokens, step)
            if step.kind != "batch":
                latencies.append(elapsed)
            if step.incident in by_id:
                _probe(api, by_id[step.incident], elapsed)
            bar.advance(task)
    return latencies


def _send(api: Api, tokens: dict[str, dict[str, str]], step: Step) -> float:
    w = api
    headers = tokens[step.who] if step.who else {}
    if step.kind == "batch":
        response, elapsed = w.call("POST", "/v1/scans/batch", body=step.body, headers=headers)
        bad = [r for r in response.json()["results"] if r["status"] == "rejected"]
        if bad:
            raise RuntimeError(f"line upload rejected {len(bad)} scan(s): {bad[0]}")
        return elapsed
    if step.kind == "verify":
        return w.call("POST", "/v1/verify", body=step.body, headers=headers)[1]
    return w.call("POST", "/v1/scans", body=step.body, headers=headers, expect=(201,))[1]


def _probe(api: Api, incident: Incident, elapsed: float) -> None:
    """Is the incident visible yet? Right after the call returned: that call's time counts."""
    if incident.latency_s is not None:
        return
    if incident.type == "turnover_spike":
        found = api.alerts(type=incident.type, party_id=incident.probe)
    else:
        found = api.alerts(type=incident.type, code=incident.probe)
    hits = [a["id"] for a in found if a["severity"] in SERIOUS]
    if hits:
        incident.latency_s = elapsed
        incident.alert_ids = hits
