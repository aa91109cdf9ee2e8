"""Territory lookups: which territories hold a GPS fix, and is it inside the allowed ones.

A `TerritoryIndex` is built once from `{territory_id: shapely geometry}` (WGS84, x = lon,
y = lat) and answers point queries with an STRtree over prepared geometries. Every answer
takes the fix's accuracy radius into account:

- INSIDE: the whole accuracy circle lies inside an allowed territory (or inside the union of
  several allowed ones): the distance from the point to the boundary is >= the accuracy.
- OUTSIDE: the whole circle lies outside every allowed territory: distance > accuracy.
- AMBIGUOUS: anything else; the fix cannot tell.

Distances are metres, never degrees. Near the point (within the accuracy circle) they are
computed in a local equirectangular projection centred on the point (x scaled by cos(lat)),
whose error is far below 1 % at the scale of GPS accuracy radii. `distance_outside_m` takes
the nearest boundary point found that way and returns its great-circle (haversine) distance
from the point, so it stays a true distance on the sphere even hundreds of km away.

Geometries meant across the antimeridian must be split at ±180° (`geo.geometry` refuses an
edge longer than 180° of longitude).
"""

from __future__ import annotations

import bisect
import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry.base import BaseGeometry

from geo.distance import METRES_PER_DEGREE, haversine_m, metres_to_degrees

_BOX_SLACK = 1.02
"""The search box spans the accuracy circle with 2 % to spare ..."""
_BOX_PAD_M = 1.0
"""... plus one metre, so a zero accuracy still gets a non-degenerate box."""
_UPPER_BOUND_SLACK = 1.05
"""Degree distance x metres/degree over-estimates the metric distance by less than this."""
_GRID = 32
"""Each territory's box is cut into _GRID x _GRID cells; those lying wholly inside it let
`classify` answer INSIDE without a geometry call (`_Cells`)."""


class _Cells:
    """Which cells of a territory's bounding-box grid lie wholly inside it.

    A search box covered by inside cells lies inside the territory (inside a union of parts
    of it), so `contains(box)` holds: an exact shortcut, never a guess. The cell edges are
    the very floats the cells were built from, so the cover test compares exactly.
    """

    __slots__ = ("inside", "xs", "ys")

    def __init__(self, geom: BaseGeometry, bounds: tuple[float, float, float, float]) -> None:
        minx, miny, maxx, maxy = bounds
        self.xs: list[float] = np.linspace(minx, maxx, _GRID + 1).tolist()
        self.ys: list[float] = np.linspace(miny, maxy, _GRID + 1).tolist()
        x0, y0 = np.meshgrid(self.xs[:-1], self.ys[:-1])
        x1, y1 = np.meshgrid(self.xs[1:], self.ys[1:])
        cells = shapely.box(x0.ravel(), y0.ravel(), x1.ravel(), y1.ravel())
        # Properly: a cell touching the edge would let the box's centre sit on it.
        self.inside: list[bool] = shapely.contains_properly(geom, cells).tolist()  # rows: y

    def cover(self, bounds: tuple[float, float, float, float]) -> bool:
        """Do inside cells cover the box (at most 2 x 2 of them: boxes are GPS-sized)?"""
        bx0, by0, bx1, by1 = bounds
        i0, i1 = bisect.bisect_right(self.xs, bx0) - 1, bisect.bisect_left(self.xs, bx1) - 1
        j0, j1 = bisect.bisect_right(self.ys, by0) - 1, bisect.bisect_left(self.ys, by1) - 1
        if i0 < 0 or j0 < 0 or i1 >= _GRID or j1 >= _GRID or i1 - i0 > 1 or j1 - j0 > 1:
            return False
        inside = self.inside
        return all(inside[j * _GRID + i] for j in range(j0, j1 + 1) for i in range(i0, i1 + 1))


class PlacementStatus(enum.StrEnum):
    INSIDE = "inside"
    OUTSIDE = "outside"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True, slots=True)
class Match:
    """A territory that holds, or may hold, the fix (its accuracy circle reaches it)."""

    territory_id: str
    status: PlacementStatus  # INSIDE (circle fully within) or AMBIGUOUS (circle crosses the edge)
    contains_point: bool  # the point itself (the circle's centre) lies in the territory


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a fix lies relative to a set of allowed territories."""

    status: PlacementStatus
    distance_outside_m: float
    """Metres from the point to the nearest allowed territory; 0 when the point is in one;
    `math.inf` when none of the allowed territories is known to the index."""
    territory_id: str | None
    """The allowed territory holding the point, else the nearest allowed one (None if none)."""


class _Local:
    """A local equirectangular projection in metres centred on one point."""

    __slots__ = ("kx", "ky", "lat", "lon")

    def __init__(self, lat: float, lon: float) -> None:
        self.lat = lat
        self.lon = lon
        self.ky = METRES_PER_DEGREE
        self.kx = METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-9)

    def project(self, geom: BaseGeometry) -> BaseGeometry:
        matrix = [self.kx, 0.0, 0.0, self.ky, -self.lon * self.kx, -self.lat * self.ky]
        return affinity.affine_transform(geom, matrix)

    def unproject_xy(self, x: float, y: float) -> tuple[float, float]:
        """(lat, lon) of a projected point."""
        return self.lat + y / self.ky, self.lon + x / self.kx


class TerritoryIndex:
    """An immutable spatial index of territories; safe to share between threads."""

    def __init__(self, geometries: Mapping[str, BaseGeometry], shortcut: bool = True) -> None:
        """`shortcut=False` answers every `classify` with geometry calls (tests compare)."""
        ids: list[str] = []
        geoms: list[BaseGeometry] = []
        for territory_id, geom in geometries.items():
            if geom is None or geom.is_empty:
                raise ValueError(f"territory {territory_id!r} has an empty geometry")
            ids.append(territory_id)
            geoms.append(geom)
        self._ids: tuple[str, ...] = tuple(ids)
        self._pos: dict[str, int] = {tid: i for i, tid in enumerate(ids)}
        self._geoms: Any = np.array(geoms, dtype=object)
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)
        bounds: Any = shapely.bounds(self._geoms) if geoms else np.empty((0, 4))
        self._bounds = bounds
        self._box_of: list[tuple[float, float, float, float]] = [tuple(b) for b in bounds.tolist()]
        self._max_abs_lat: Any = np.maximum(np.abs(bounds[:, 1]), np.abs(bounds[:, 3]))
        self._cells: dict[int, _Cells] = {}  # built on a territory's first `classify`
        self._shortcut = shortcut

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, territory_id: object) -> bool:
        return territory_id in self._pos

    @property
    def territory_ids(self) -> tuple[str, ...]:
        return self._ids

    def geometry(self, territory_id: str) -> BaseGeometry:
        geom: BaseGeometry = self._geoms[self._pos[territory_id]]
        return geom

    # -- queries -------------------------------------------------------------------------

    def locate(self, lat: float, lon: float, accuracy_m: float = 0.0) -> list[Match]:
        """Every territory the fix's accuracy circle reaches, INSIDE matches first, then by id."""
        acc = _accuracy(accuracy_m)
        box = _search_box(lat, lon, acc)
        candidates = self._tree.query(box)
        if len(candidates) == 0:
            return []
        local = _Local(lat, lon)
        contained = shapely.contains_xy(self._geoms[candidates], lon, lat)
        matches: list[Match] = []
        for i, inside in zip(candidates.tolist(), contained.tolist(), strict=True):
            status, _ = self._relation(i, lat, lon, acc, box, local, bool(inside))
            if status is not PlacementStatus.OUTSIDE:
                matches.append(Match(self._ids[i], status, bool(inside)))
        matches.sort(key=lambda m: (m.status is not PlacementStatus.INSIDE, m.territory_id))
        return matches

    def holding(self, points: Sequence[tuple[float, float]]) -> list[list[str]]:
        """For each (lat, lon), the territories whose interior holds the point (no accuracy).

        One vectorised tree query and one `contains_xy` for all the points: a group of
        consumer checks costs about as much as a single `locate`.
        """
        found: list[list[str]] = [[] for _ in points]
        if not points or not self._ids:
            return found
        lats = np.fromiter((p[0] for p in points), dtype=float, count=len(points))
        lons = np.fromiter((p[1] for p in points), dtype=float, count=len(points))
        at, candidate = self._tree.query(shapely.points(lons, lats))
        inside = shapely.contains_xy(self._geoms[candidate], lons[at], lats[at])
        for i, t in zip(at[inside].tolist(), candidate[inside].tolist(), strict=True):
            found[i].append(self._ids[t])
        return found

    def classify(
        self, lat: float, lon: float, accuracy_m: float, territory_ids: Iterable[str]
    ) -> Placement:
        """Place the fix relative to the allowed territories (unknown ids are ignored)."""
        allowed = sorted({self._pos[t] for t in territory_ids if t in self._pos})
        if not allowed:
            return Placement(PlacementStatus.OUTSIDE, math.inf, None)
        acc = _accuracy(accuracy_m)
        minx, miny, maxx, maxy = bounds = _search_bounds(lat, lon, acc)
        # A handful of allowed territories: their boxes compared in Python, not numpy (this
        # runs for most scans and consumer checks; the arrays cost more than the test).
        near = [
            i
            for i in allowed
            if (b := self._box_of[i])[0] <= maxx and b[2] >= minx and b[1] <= maxy and b[3] >= miny
        ]
        local = _Local(lat, lon)
        box: BaseGeometry | None = None  # made only when the cells cannot answer
        ambiguous: list[tuple[float, int]] = []
        for i in near:
            if self._covered(i, bounds):  # the usual answer: no geometry call
                return Placement(PlacementStatus.INSIDE, 0.0, self._ids[i])
            if box is None:
                box = shapely.box(*bounds)
            inside = bool(shapely.contains_xy(self._geoms[i], lon, lat))
            status, dist = self._relation(i, lat, lon, acc, box, local, inside)
            if status is PlacementStatus.INSIDE:
                return Placement(PlacementStatus.INSIDE, 0.0, self._ids[i])
            if status is PlacementStatus.AMBIGUOUS:
                ambiguous.append((dist, i))
        if ambiguous and box is not None:  # the box was made before any was found
            ambiguous.sort()
            dist, best = ambiguous[0]
            if len(ambiguous) > 1 and self._union_covers(
                [i for _, i in ambiguous], box, local, acc
            ):
                return Placement(PlacementStatus.INSIDE, 0.0, self._ids[best])
            return Placement(PlacementStatus.AMBIGUOUS, dist, self._ids[best])
        dist, best = self._nearest(np.asarray(allowed, dtype=np.intp), lat, lon, local)
        return Placement(PlacementStatus.OUTSIDE, dist, self._ids[best])

    def distance_m(self, lat: float, lon: float, territory_id: str) -> float:
        """Metres from the point to one territory (0 when the point is in it)."""
        i = self._pos[territory_id]
        return self._exact_distance(i, lat, lon, _Local(lat, lon))

    # -- internals -----------------------------------------------------------------------

    def _covered(self, i: int, bounds: tuple[float, float, float, float]) -> bool:
        """Is the search box surely inside territory i (`_Cells`)? False: look properly."""
        if not self._shortcut:
            return False
        cells = self._cells.get(i)
        if cells is None:  # two threads may both build it: the same answer either way
            cells = self._cells[i] = _Cells(self._geoms[i], self._box_of[i])
        return cells.cover(bounds)

    def _relation(
        self,
        i: int,
        lat: float,
        lon: float,
        acc: float,
        box: BaseGeometry,
        local: _Local,
        contains_point: bool,
    ) -> tuple[PlacementStatus, float]:
        """The fix relative to territory i, and the point's distance to it (0 when inside).

        The distance is exact when the status is AMBIGUOUS; for OUTSIDE it is only known to
        exceed the accuracy and is returned as `math.inf` (callers compute it when needed).
        """
        geom = self._geoms[i]
        if contains_point:
            if geom.contains(box):  # prepared: the circle's bounding box is inside, so is it
                return PlacementStatus.INSIDE, 0.0
            piece = local.project(shapely.clip_by_rect(geom, *box.bounds))
            # The clip's own edges lie beyond the circle, so they never decide the answer.
            to_edge = float(shapely.distance(shapely.Point(0.0, 0.0), piece.boundary))
            status = PlacementStatus.INSIDE if to_edge >= acc else PlacementStatus.AMBIGUOUS
            return status, 0.0
        if not geom.intersects(box):
            return PlacementStatus.OUTSIDE, math.inf
        piece = local.project(shapely.clip_by_rect(geom, *box.bounds))
        if piece.is_empty:
            return PlacementStatus.OUTSIDE, math.inf
        gap = float(shapely.distance(shapely.Point(0.0, 0.0), piece))
        if gap > acc:
            return PlacementStatus.OUTSIDE, math.inf
        return PlacementStatus.AMBIGUOUS, gap

    def _union_covers(self, idx: list[int], box: BaseGeometry, local: _Local, acc: float) -> bool:
        """Does the union of several allowed territories cover the whole accuracy circle?"""
        pieces = [local.project(shapely.clip_by_rect(self._geoms[i], *box.bounds)) for i in idx]
        union = shapely.union_all(pieces)
        origin = shapely.Point(0.0, 0.0)
        if not union.contains(origin):
            return False
        return float(shapely.distance(origin, union.boundary)) >= acc

    def _nearest(self, idx: Any, lat: float, lon: float, local: _Local) -> tuple[float, int]:
        """(metres, index) of the nearest territory among idx, exact on the sphere."""
        point = shapely.Point(lon, lat)
        deg: Any = shapely.distance(point, self._geoms[idx])
        cos_lo = np.cos(np.radians(np.minimum(89.9, np.maximum(abs(lat), self._max_abs_lat[idx]))))
        lower = deg * METRES_PER_DEGREE * cos_lo
        upper = float(np.min(deg)) * METRES_PER_DEGREE * _UPPER_BOUND_SLACK
        keep = idx[lower <= upper].tolist()
        best = (math.inf, int(idx[int(np.argmin(deg))]))
        for i in keep:
            d = self._exact_distance(i, lat, lon, local)
            if d < best[0]:
                best = (d, i)
        return best

    def _exact_distance(self, i: int, lat: float, lon: float, local: _Local) -> float:
        geom = self._geoms[i]
        if shapely.intersects_xy(geom, lon, lat):
            return 0.0
        projected = local.project(geom)
        line = shapely.shortest_line(shapely.Point(0.0, 0.0), projected)
        x, y = line.coords[1]
        near_lat, near_lon = local.unproject_xy(x, y)
        return haversine_m(lat, lon, near_lat, near_lon)


def _accuracy(accuracy_m: float) -> float:
    if math.isnan(accuracy_m) or accuracy_m < 0.0:
        raise ValueError("accuracy_m must be a non-negative number")
    return float(accuracy_m)


def _search_box(lat: float, lon: float, acc: float) -> BaseGeometry:
    box: BaseGeometry = shapely.box(*_search_bounds(lat, lon, acc))
    return box


def _search_bounds(lat: float, lon: float, acc: float) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of the box around the accuracy circle."""
    d_lat, d_lon = metres_to_degrees(acc * _BOX_SLACK + _BOX_PAD_M, lat)
    return lon - d_lon, lat - d_lat, lon + d_lon, lat + d_lat
