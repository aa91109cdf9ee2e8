"""Process tuning applied once the app has started.

Why the garbage collector: under load every request allocates a few hundred short-lived
objects, and CPython's default first-generation threshold (700) then runs a collection every
couple of requests, each one also walking the objects that survive to the older generations
(caches, the territory index, modules). Measured with `python -m benchmarks.bench_scans`:
POST /v1/scans went from ~3,200 to ~3,900 scans/s and its p99 from ~80 to ~13 ms
(docs/decisions.md). Reference cycles are still collected, only less often.
"""

from __future__ import annotations

import gc


def tune_garbage_collector(gen0_threshold: int) -> None:
    """Freeze what startup built and collect the young generation less often (0: leave as is)."""
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()  # startup objects live as long as the process: never scan them again
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
