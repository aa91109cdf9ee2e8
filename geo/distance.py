"""Great-circle distances and speeds on WGS84 coordinates, pure and I/O-free.

Haversine on a sphere of the IUGG mean Earth radius, not a geodesic on the ellipsoid: the
spherical error is at most about 0.5 % (Earth's flattening), far below GPS accuracy radii and
the margins the risk rules use (50 km minimum distance, 1000 km/h), and it is far cheaper:
geopy's ``geodesic`` (Karney) costs ~250 µs/call on this machine, this function 0.37 µs
(`python -m timeit`), and it needs no extra dependency. Speed matters because the risk engine
compares every new scan with all earlier sightings of the code, on-line.
"""

from __future__ import annotations

import math
from datetime import datetime

EARTH_RADIUS_M = 6_371_008.8
"""IUGG mean Earth radius R1, metres."""

METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180.0
"""Length of one degree of latitude (and of longitude at the equator) on that sphere."""


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points given in degrees."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2.0) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2.0) ** 2
    # min() guards against a > 1 from rounding for antipodal points.
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def min_separation_m(distance_m: float, accuracy1_m: float, accuracy2_m: float) -> float:
    """The least distance two fixes can be apart given their accuracy radii (never negative)."""
    return max(0.0, distance_m - max(0.0, accuracy1_m) - max(0.0, accuracy2_m))


def speed_kmh(distance_m: float, seconds: float) -> float:
    """Speed in km/h to cover `distance_m` in `seconds`.

    Zero distance is speed 0 whatever the time; a positive distance in no time (or negative
    time) is infinitely fast.
    """
    if distance_m <= 0.0:
        return 0.0
    if seconds <= 0.0:
        return math.inf
    return (distance_m / 1000.0) / (seconds / 3600.0)


def required_speed_kmh(
    lat1: float,
    lon1: float,
    accuracy1_m: float,
    at1: datetime,
    lat2: float,
    lon2: float,
    accuracy2_m: float,
    at2: datetime,
) -> float:
    """The least speed (km/h) an item must have moved at to be at both fixes at those times.

    The accuracy radii are subtracted from the great-circle distance first, so GPS noise can
    only lower the speed, never raise it.
    """
    gap = min_separation_m(haversine_m(lat1, lon1, lat2, lon2), accuracy1_m, accuracy2_m)
    return speed_kmh(gap, abs((at2 - at1).total_seconds()))


def metres_to_degrees(distance_m: float, lat: float) -> tuple[float, float]:
    """(d_lat, d_lon) in degrees spanning at least `distance_m` around latitude `lat`.

    Uses the cosine at the poleward edge of the span, so a box of these half-widths always
    covers a circle of `distance_m` (clamped near the poles to the whole longitude range).
    """
    d_lat = distance_m / METRES_PER_DEGREE
    edge = min(89.999_999, abs(lat) + d_lat)
    cos_edge = math.cos(math.radians(edge))
    d_lon = 360.0 if cos_edge <= 1e-9 else min(360.0, d_lat / cos_edge)
    return d_lat, d_lon
