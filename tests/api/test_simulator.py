"""The simulator's small world through the real app: detection targets on realistic traffic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from risk_engine.simulator.run import Result, in_process, sim_settings, simulate
from risk_engine.simulator.score import Targets, percentile


@pytest.fixture(scope="module")
def result(module_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Result]:
    settings = sim_settings(Path(tmp_path_factory.mktemp("sim")))
    with in_process(module_dsn, settings) as (client, admin):
        yield simulate(client, admin, seed=11, weeks=5, scale="small", progress=False)


def test_every_target_is_met(result: Result) -> None:
    card = result.card
    assert card.failures(Targets()) == [], card.summary()


def test_diversions_are_found_and_attributed(result: Result) -> None:
    div = result.card.types["diversion"]
    assert div.incidents >= 18
    assert div.recall is not None and div.recall >= 0.99
    assert div.precision is not None and div.precision >= 0.99
    assert div.attribution is not None and div.attribution >= 0.996
    variants = {i.variant for i in result.incidents if i.type == "diversion"}
    assert {"dealer a", "dealer b", "dealer c", "sub-dealer a", "sub-dealer b"} <= variants


def test_clones_counterfeits_leaks_and_spikes_are_found(result: Result) -> None:
    types = result.card.types
    for name in ("clone", "counterfeit"):
        assert types[name].incidents > 0
        assert (types[name].recall or 0) >= 0.95, name
    assert types["leaked_code"].recall == 1.0
    assert types["turnover_spike"].recall == 1.0


def test_honest_traffic_raises_no_medium_or_high_alert(result: Result) -> None:
    assert sum(t.false_on_honest for t in result.card.types.values()) == 0
    assert result.card.false_alerts == []


def test_alerts_are_visible_within_a_second(result: Result) -> None:
    latencies = result.card.latencies
    assert len(latencies) >= 30  # polled right after the proving call for each incident
    p99 = percentile(latencies, 99)
    assert p99 is not None and p99 <= 1.0
