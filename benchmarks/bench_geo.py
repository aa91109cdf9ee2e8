"""Territory lookups per second with 3,000 territories, against brute force in the same run.

    .venv/bin/python benchmarks/bench_geo.py [--territories 3000] [--queries 20000]

Territories: a Voronoi tessellation of random seeds over mainland China's bounding box
(shared borders, like real sales territories), every edge densified to <= 0.02° so each
polygon has a realistic vertex count. Queries: uniform random points with accuracy radii
of 10-500 m. Baselines: (1) a Python loop over all prepared geometries (`contains_xy` on
each), (2) one vectorized `shapely.contains_xy` over all of them (no accuracy handling).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

from geo.index import TerritoryIndex

BBOX = (73.5, 18.0, 135.0, 53.5)  # lon/lat of mainland China


def territories(n: int, seed: int = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = BBOX
    seeds = shapely.multipoints(
        np.column_stack([rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=shapely.box(*BBOX)))
    cells = shapely.segmentize(shapely.clip_by_rect(cells, *BBOX), 0.02)
    return {f"t{i:04d}": geom for i, geom in enumerate(cells) if not geom.is_empty}


def rate(fn: Callable[[], int], repeat: int = 3) -> tuple[float, int]:
    """Best-of-`repeat` operations per second and the operation count."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = fn()
        best = min(best, time.perf_counter() - start)
    return count / best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=3000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--brute-queries", type=int, default=500)
    args = parser.parse_args()

    t0 = time.perf_counter()
    geoms = territories(args.territories)
    built = time.perf_counter()
    index = TerritoryIndex(geoms)
    indexed = time.perf_counter()
    ids = list(geoms)
    vertices = statistics.mean(shapely.get_num_coordinates(g) for g in geoms.values())

    rng = random.Random(2)
    minx, miny, maxx, maxy = BBOX
    queries = [
        (rng.uniform(miny, maxy), rng.uniform(minx, maxx), rng.uniform(10, 500))
        for _ in range(args.queries)
    ]
    allowed = [rng.sample(ids, 3) for _ in range(args.queries)]
    prepared = np.array(list(geoms.values()), dtype=object)
    shapely.prepare(prepared)
    brute = queries[: args.brute_queries]

    def run_locate() -> int:
        for lat, lon, acc in queries:
            index.locate(lat, lon, acc)
        return len(queries)

    def run_classify() -> int:
        for (lat, lon, acc), ids3 in zip(queries, allowed, strict=True):
            index.classify(lat, lon, acc, ids3)
        return len(queries)

    def run_classify_home() -> int:
        # the hot path: a store inside its own dealer's territory
        for lat, lon, acc in queries:
            home = index.locate(lat, lon, 0)
            index.classify(lat, lon, acc, [home[0].territory_id] if home else ids[:1])
        return len(queries)

    def run_brute_loop() -> int:
        for lat, lon, _ in brute:
            [tid for tid, g in zip(ids, prepared, strict=True) if shapely.contains_xy(g, lon, lat)]
        return len(brute)

    def run_brute_vector() -> int:
        for lat, lon, _ in brute:
            np.nonzero(shapely.contains_xy(prepared, lon, lat))
        return len(brute)

    # correctness against brute force on the sample
    for lat, lon, _ in brute:
        truth = {ids[i] for i in np.nonzero(shapely.contains_xy(prepared, lon, lat))[0]}
        found = {m.territory_id for m in index.locate(lat, lon, 0) if m.contains_point}
        assert found == truth, (lat, lon, found, truth)

    results = [
        ("TerritoryIndex.locate (accuracy 10-500 m)", rate(run_locate)),
        ("TerritoryIndex.classify (3 random allowed)", rate(run_classify)),
        ("locate + classify against own territory", rate(run_classify_home)),
        ("baseline: Python loop over prepared geoms", rate(run_brute_loop)),
        ("baseline: vectorized contains_xy over all", rate(run_brute_vector)),
    ]
    print(
        f"{len(geoms)} territories, mean {vertices:.0f} vertices; "
        f"tessellation {built - t0:.2f} s, index build {indexed - built:.3f} s"
    )
    loop_rate = results[3][1][0]
    for name, (per_s, n) in results:
        print(f"{name:<46} {per_s:>12,.0f} lookups/s  ({n} queries, x{per_s / loop_rate:,.1f})")


if __name__ == "__main__":
    main()
