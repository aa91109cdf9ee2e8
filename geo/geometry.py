"""GeoJSON Polygon/MultiPolygon validation (WGS84, `[lon, lat]`), pure and I/O-free.

Every check names the exact place of the problem: the `errors` list carries a `loc` such as
`["body", "geometry", "coordinates", 0, 3, 1]` (polygon, ring, position, axis for MultiPolygons;
ring, position, axis for Polygons) and the `detail` says what is wrong in words.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from traceability.errors import InvalidInput

MAX_VERTICES = 10_000
"""Most positions (closing positions included) one territory geometry may have."""

MIN_RING_POSITIONS = 4
ALLOWED_TYPES = ("Polygon", "MultiPolygon")
# RFC 7946 members we accept; `bbox` is ignored and recomputed, anything else is refused.
_ALLOWED_MEMBERS = frozenset({"type", "coordinates", "bbox"})
_VALIDITY = re.compile(r"^(?P<reason>[^\[]+)\[(?P<x>\S+) (?P<y>\S+)\]$")

Loc = tuple[str | int, ...]
Position = list[float]
Ring = list[Position]


@dataclass(frozen=True, slots=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def as_list(self) -> list[float]:
        return [self.min_lon, self.min_lat, self.max_lon, self.max_lat]


@dataclass(frozen=True, slots=True)
class ValidGeometry:
    """A validated geometry: normalized GeoJSON (2-D float positions), its bbox and size."""

    geojson: dict[str, Any]
    bbox: BBox
    vertex_count: int
    area_deg2: float


class _Counter:
    def __init__(self, loc: Loc) -> None:
        self.count = 0
        self.loc = loc

    def add(self, n: int) -> None:
        self.count += n
        if self.count > MAX_VERTICES:
            _fail(
                (*self.loc, "coordinates"),
                f"geometry has more than {MAX_VERTICES} positions (the limit); simplify it",
            )


def _fail(loc: Loc, msg: str, detail: str | None = None) -> NoReturn:
    where = ".".join(str(p) for p in loc)
    raise InvalidInput(
        detail or f"{where}: {msg}",
        errors=[{"loc": list(loc), "msg": msg}],
    )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _position(value: object, loc: Loc) -> Position:
    if not isinstance(value, list):
        _fail(loc, "a position must be an array [lon, lat]")
    if value and all(isinstance(v, list) for v in value):
        _fail(
            loc,
            "expected a position [lon, lat], found an array of arrays; "
            "coordinates are nested one level too deep",
        )
    if len(value) not in (2, 3):
        _fail(loc, f"a position must be [lon, lat] or [lon, lat, alt], got {len(value)} items")
    for axis, number in enumerate(value):
        if not _is_number(number):
            _fail((*loc, axis), f"coordinate must be a number, got {_json_type(number)}")
        if isinstance(number, float) and not math.isfinite(number):
            _fail((*loc, axis), "coordinate must be a finite number (no NaN or Infinity)")
    lon, lat = value[0], value[1]
    if not -180 <= lon <= 180:
        _fail((*loc, 0), f"longitude {lon} is outside [-180, 180]")
    if not -90 <= lat <= 90:
        _fail((*loc, 1), f"latitude {lat} is outside [-90, 90]")
    return [float(lon), float(lat)]


def _ring(value: object, loc: Loc, counter: _Counter) -> Ring:
    if not isinstance(value, list):
        _fail(loc, "a linear ring must be an array of positions")
    if value and all(_is_number(v) for v in value):
        _fail(
            loc,
            "expected a linear ring (array of positions), found a single position; "
            "coordinates are nested one level too shallow",
        )
    counter.add(len(value))
    if len(value) < MIN_RING_POSITIONS:
        _fail(
            loc,
            f"a linear ring needs at least {MIN_RING_POSITIONS} positions "
            f"(first repeated as last), got {len(value)}",
        )
    ring = [_position(p, (*loc, i)) for i, p in enumerate(value)]
    _no_antimeridian_edge(ring, loc)
    if ring[0] != ring[-1]:
        _fail(
            loc,
            f"linear ring is not closed: first position {ring[0]} differs from last {ring[-1]}",
        )
    distinct = {tuple(p) for p in ring}
    if len(distinct) < 3:
        _fail(loc, f"linear ring has only {len(distinct)} distinct positions; at least 3 needed")
    if shapely.MultiPoint(ring).convex_hull.area == 0:
        _fail(loc, "linear ring has zero area: all its positions lie on one line")
    return ring


def _no_antimeridian_edge(ring: Ring, loc: Loc) -> None:
    """An edge more than 180° of longitude long is almost surely meant across ±180°, but
    GeoJSON's edges run straight in longitude and latitude (RFC 7946 §3.1.9): [170, 10] to
    [-170, 10] is 340° wide, the long way round. Refused rather than read the wrong way.
    An edge along a pole is a point on the globe: the whole world's box stays valid."""
    for i, (a, b) in enumerate(itertools.pairwise(ring)):
        if abs(b[0] - a[0]) > 180 and not (a[1] == b[1] and abs(a[1]) == 90):
            _fail(
                (*loc, i + 1),
                f"the edge from {a} to {b} spans more than 180 degrees of longitude: to cross "
                "the antimeridian, split the territory at 180/-180 into a MultiPolygon "
                "(RFC 7946 3.1.9); to go the long way, add vertices along the edge",
            )


def _polygon_rings(value: object, loc: Loc, counter: _Counter) -> list[Ring]:
    if not isinstance(value, list):
        _fail(loc, "polygon coordinates must be an array of linear rings")
    if not value:
        _fail(loc, "a polygon needs at least one linear ring (the exterior)")
    return [_ring(r, (*loc, i), counter) for i, r in enumerate(value)]


def _explain(geom: Polygon | MultiPolygon, loc: Loc) -> None:
    if geom.is_valid:
        return
    text = explain_validity(geom)
    match = _VALIDITY.match(text)
    if match:
        reason = match.group("reason").strip()
        msg = f"geometry is not valid: {reason} at [{match.group('x')}, {match.group('y')}]"
    else:
        msg = f"geometry is not valid: {text}"
    _fail(loc, msg)


def _printable(text: str) -> str:
    """`text` made safe to echo in a JSON response (lone surrogates escaped), at most 64 chars."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:64]


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "number"


def validate_geojson(
    value: object, loc: Sequence[str | int] = ("body", "geometry")
) -> ValidGeometry:
    """Validate a GeoJSON Polygon or MultiPolygon; raise InvalidInput (422) naming the problem."""
    base: Loc = tuple(loc)
    if not isinstance(value, dict):
        _fail(base, f"geometry must be a GeoJSON object, got {_json_type(value)}")
    unknown = sorted(_printable(str(k)) for k in value if k not in _ALLOWED_MEMBERS)
    if unknown:
        _fail((*base, unknown[0]), f"unexpected member {unknown[0]!r} in geometry")
    if "bbox" in value:  # ignored and recomputed, but it must be one (RFC 7946 5)
        box = value["bbox"]
        finite = isinstance(box, list) and all(_is_number(b) and math.isfinite(b) for b in box)
        if not (finite and len(box) in (4, 6)):
            _fail((*base, "bbox"), "bbox must be an array of 4 (or 6) finite numbers")
    kind = value.get("type")
    if kind not in ALLOWED_TYPES:
        shown = kind if isinstance(kind, str) else _json_type(kind)
        _fail((*base, "type"), f"geometry type must be Polygon or MultiPolygon, got {shown!r}")
    if "coordinates" not in value:
        _fail((*base, "coordinates"), "coordinates are required")
    coords = value["coordinates"]
    coords_loc = (*base, "coordinates")
    counter = _Counter(base)
    geom: Polygon | MultiPolygon
    if kind == "Polygon":
        rings = _polygon_rings(coords, coords_loc, counter)
        geom = Polygon(rings[0], rings[1:])
        _explain(geom, coords_loc)
        normalized: list[Any] = rings
    else:
        if not isinstance(coords, list):
            _fail(coords_loc, "MultiPolygon coordinates must be an array of polygons")
        if not coords:
            _fail(coords_loc, "a MultiPolygon needs at least one polygon")
        polygons: list[list[Ring]] = []
        parts: list[Polygon] = []
        for i, poly in enumerate(coords):
            rings = _polygon_rings(poly, (*coords_loc, i), counter)
            part = Polygon(rings[0], rings[1:])
            _explain(part, (*coords_loc, i))
            polygons.append(rings)
            parts.append(part)
        geom = MultiPolygon(parts)
        _explain(geom, coords_loc)
        normalized = polygons
    if not geom.area > 0:
        _fail(coords_loc, "geometry has zero area")
    min_lon, min_lat, max_lon, max_lat = (float(b) for b in geom.bounds)
    return ValidGeometry(
        geojson={"type": kind, "coordinates": normalized},
        bbox=BBox(min_lon, min_lat, max_lon, max_lat),
        vertex_count=counter.count,
        area_deg2=float(geom.area),
    )


def to_shape(geojson: dict[str, Any]) -> Polygon | MultiPolygon:
    """A stored (already validated) geometry as a shapely object, for point-in-territory tests."""
    coords = geojson["coordinates"]
    if geojson["type"] == "Polygon":
        return Polygon(coords[0], coords[1:])
    return MultiPolygon([Polygon(p[0], p[1:]) for p in coords])
