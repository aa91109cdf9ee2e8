from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from geo.distance import (
    EARTH_RADIUS_M,
    haversine_m,
    metres_to_degrees,
    min_separation_m,
    required_speed_kmh,
    speed_kmh,
)


def test_known_distances() -> None:
    # Shanghai - Beijing ~1,067 km; one degree of latitude ~111.195 km
    assert haversine_m(31.2304, 121.4737, 39.9042, 116.4074) == pytest.approx(1_067_000, rel=0.005)
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(60, 10, 60, 11) == pytest.approx(111_195 * 0.5, rel=1e-3)
    assert haversine_m(10, 20, 10, 20) == 0.0
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_M)
    assert haversine_m(0, 179.5, 0, -179.5) == pytest.approx(111_195, rel=1e-4)


def test_symmetry() -> None:
    assert haversine_m(31, 121, 40, 116) == haversine_m(40, 116, 31, 121)


def test_separation_and_speed() -> None:
    assert min_separation_m(1000, 300, 200) == 500
    assert min_separation_m(1000, 800, 800) == 0
    assert min_separation_m(1000, -5, 0) == 1000
    assert speed_kmh(100_000, 3600) == pytest.approx(100)
    assert speed_kmh(0, 0) == 0
    assert speed_kmh(1, 0) == math.inf
    t = datetime(2026, 1, 1, tzinfo=UTC)
    fast = required_speed_kmh(31.23, 121.47, 30, t, 39.9, 116.4, 30, t + timedelta(minutes=30))
    assert fast == pytest.approx(2 * 1_067, rel=0.01)
    assert required_speed_kmh(31.23, 121.47, 30, t + timedelta(hours=2), 39.9, 116.4, 30, t) == (
        pytest.approx(1_067 / 2, rel=0.01)
    )


def test_metres_to_degrees_covers_the_circle() -> None:
    d_lat, d_lon = metres_to_degrees(1000, 60)
    assert d_lat == pytest.approx(1000 / 111_195, rel=1e-3)
    assert d_lon * 111_195.08 * math.cos(math.radians(60 + d_lat)) >= 1000 - 1e-3
    assert metres_to_degrees(1000, 90)[1] == 360.0
