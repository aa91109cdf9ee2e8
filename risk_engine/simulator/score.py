"""Ground truth against the alerts the API lists: recall, precision, attribution, latency.

Matching (docs/simulator.md): an incident is detected when an alert of its type with medium
or high severity lists at least one of its codes (a turnover spike: names its dealer as the
source). Source attribution counts detected diversions whose matching alert names the
injected source. Precision counts medium/high alerts of a type that match no incident of that
type as false; "false on honest traffic" are medium/high alerts that touch no injected code at
all (any type). Latency is the wall time of the HTTP call after which the alert was visible
(polled with GET /v1/alerts right after the call returned).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

from risk_engine.simulator.incidents import Incident

TYPES = (
    "diversion",
    "clone",
    "counterfeit",
    "leaked_code",
    "turnover_spike",
    "impossible_travel",
    "sequence",
)
SERIOUS = frozenset({"medium", "high"})


@dataclass(frozen=True, slots=True)
class Targets:
    diversion_recall: float = 0.99
    diversion_precision: float = 0.99
    attribution: float = 0.996
    clone_recall: float = 0.95
    counterfeit_recall: float = 0.95
    false_on_honest: int = 0
    p99_latency_s: float = 1.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


@dataclass
class TypeScore:
    type: str
    incidents: int = 0
    detected: int = 0
    attributed: int = 0
    alerts: int = 0  # medium/high alerts of the type
    low_alerts: int = 0
    false_alerts: int = 0  # medium/high matching no incident of the type
    false_on_honest: int = 0  # medium/high touching no injected code at all
    latencies: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.detected / self.incidents if self.incidents else None

    @property
    def precision(self) -> float | None:
        return (self.alerts - self.false_alerts) / self.alerts if self.alerts else None

    @property
    def attribution(self) -> float | None:
        return self.attributed / self.detected if self.detected else None


@dataclass
class ScoreCard:
    types: dict[str, TypeScore]
    scan_latencies: list[float]
    calls: int
    seconds: float
    missed: list[Incident]
    false_alerts: list[dict[str, Any]]

    @property
    def latencies(self) -> list[float]:
        return [x for t in self.types.values() for x in t.latencies]

    def failures(self, targets: Targets = Targets()) -> list[str]:
        """The targets this run missed (empty: all met)."""
        div = self.types["diversion"]
        checks = [
            ("diversion recall", div.recall, targets.diversion_recall),
            ("diversion precision", div.precision, targets.diversion_precision),
            ("source attribution", div.attribution, targets.attribution),
            ("clone recall", self.types["clone"].recall, targets.clone_recall),
            ("counterfeit recall", self.types["counterfeit"].recall, targets.counterfeit_recall),
        ]
        failed = [f"{name} {_pct(v)} < {_pct(t)}" for name, v, t in checks if v is None or v < t]
        honest = sum(t.false_on_honest for t in self.types.values())
        if honest > targets.false_on_honest:
            failed.append(f"{honest} medium/high alert(s) on honest traffic")
        p99 = percentile(self.latencies, 99)
        if p99 is None or p99 > targets.p99_latency_s:
            failed.append(f"p99 scan-to-alert {p99} s > {targets.p99_latency_s} s")
        return failed

    def table(self) -> Table:
        table = Table(title="Sealtrace simulator: score card", show_lines=False)
        for name in (
            "alert type",
            "incidents",
            "detected",
            "recall",
            "precision",
            "attribution",
            "med/high alerts",
            "false",
            "false on honest",
            "low",
            "p50 ms",
            "p99 ms",
        ):
            table.add_column(name, justify="left" if name == "alert type" else "right")
        for t in self.types.values():
            table.add_row(
                t.type,
                str(t.incidents),
                str(t.detected),
                _pct(t.recall),
                _pct(t.precision),
                _pct(t.attribution) if t.type == "diversion" else "",
                str(t.alerts),
                str(t.false_alerts),
                str(t.false_on_honest),
                str(t.low_alerts),
                _ms(percentile(t.latencies, 50)),
                _ms(percentile(t.latencies, 99)),
            )
        table.add_row(
            "all",
            str(sum(t.incidents for t in self.types.values())),
            str(sum(t.detected for t in self.types.values())),
            "",
            "",
            "",
            str(sum(t.alerts for t in self.types.values())),
            str(sum(t.false_alerts for t in self.types.values())),
            str(sum(t.false_on_honest for t in self.types.values())),
            str(sum(t.low_alerts for t in self.types.values())),
            _ms(percentile(self.latencies, 50)),
            _ms(percentile(self.latencies, 99)),
            style="bold",
        )
        return table

    def summary(self) -> str:
        p50, p99 = percentile(self.scan_latencies, 50), percentile(self.scan_latencies, 99)
        return (
            f"{self.calls} API calls in {self.seconds:.0f} s; every scan/verify call: "
            f"p50 {_ms(p50)} ms, p99 {_ms(p99)} ms"
        )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{1000 * value:.0f}"


def _matches(alert: dict[str, Any], incident: Incident) -> bool:
    if alert["type"] != incident.type:
        return False
    if incident.type == "turnover_spike":
        return bool(alert.get("source_party_id") == incident.source)
    return not incident.codes.isdisjoint(alert["codes"])


def score(
    incidents: Sequence[Incident],
    alerts: Sequence[dict[str, Any]],
    *,
    scan_latencies: list[float],
    calls: int,
    seconds: float,
) -> ScoreCard:
    types = {t: TypeScore(t) for t in TYPES}
    injected = {c for i in incidents if i.type != "turnover_spike" for c in i.codes}
    spiked = {i.source for i in incidents if i.type == "turnover_spike"}
    serious = [a for a in alerts if a["severity"] in SERIOUS]
    false: list[dict[str, Any]] = []
    for alert in alerts:
        ts = types.setdefault(alert["type"], TypeScore(alert["type"]))
        if alert["severity"] not in SERIOUS:
            ts.low_alerts += 1
            continue
        ts.alerts += 1
        if not any(_matches(alert, i) for i in incidents):
            ts.false_alerts += 1
            false.append(alert)
        touches = not injected.isdisjoint(alert["codes"]) or (
            alert["type"] == "turnover_spike" and alert.get("source_party_id") in spiked
        )
        if not touches:
            ts.false_on_honest += 1
    missed: list[Incident] = []
    for incident in incidents:
        ts = types[incident.type]
        ts.incidents += 1
        found = [a for a in serious if _matches(a, incident)]
        if not found:
            missed.append(incident)
            continue
        ts.detected += 1
        if any(a.get("source_party_id") == incident.source for a in found):
            ts.attributed += 1
        if incident.latency_s is not None:
            ts.latencies.append(incident.latency_s)
    return ScoreCard(types, scan_latencies, calls, seconds, missed, false)
