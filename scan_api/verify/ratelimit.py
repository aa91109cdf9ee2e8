"""Token-bucket rate limiting in process memory. Pure: the clock is injected.

Each key (a client address, a consumer id) owns a bucket of `capacity` tokens that refills
at `rate_per_s`; a request takes one token or is refused with the seconds until one is back.
State is per process: behind a load balancer with N processes a client gets up to N times
the limit, which is fine for abuse control (it is not a quota).

Memory is bounded: at most `max_keys` buckets are kept. Buckets are kept in least-recently
used order; when the limit is exceeded, the least recently used buckets are dropped (a
dropped bucket comes back full, so forgetting only ever errs in the client's favour).

Not thread-safe by design: the app uses it from its single event loop thread.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    """Per-key token buckets: `capacity` requests at once, refilled at `rate_per_s`."""

    def __init__(
        self,
        rate_per_s: float,
        capacity: float,
        clock: Clock = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if rate_per_s <= 0 or capacity < 1:
            raise ValueError("rate_per_s must be > 0 and capacity >= 1")
        if max_keys < 1:
            raise ValueError("max_keys must be >= 1")
        self.rate_per_s = float(rate_per_s)
        self.capacity = float(capacity)
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    @classmethod
    def per_minute(cls, limit: int, clock: Clock = time.monotonic) -> TokenBucket | None:
        """`limit` requests a minute with bursts of `limit`; None when limit is 0 (no limit)."""
        if limit <= 0:
            return None
        return cls(limit / 60.0, limit, clock)

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """Take one token for `key`: 0.0 when allowed, else the seconds until it would be."""
        now = self._clock()
        bucket = self._buckets.pop(key, None)  # re-inserted below: keeps LRU order
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
        else:
            elapsed = max(0.0, now - bucket.updated)  # a clock going back never adds tokens
            bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.rate_per_s)
            bucket.updated = max(bucket.updated, now)
        self._buckets[key] = bucket
        self._evict()
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate_per_s

    def _evict(self) -> None:
        while len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]


def retry_after_s(wait: float) -> int:
    """Whole seconds for a Retry-After header (at least 1)."""
    return max(1, math.ceil(wait))
