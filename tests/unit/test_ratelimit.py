"""Token buckets with a fake clock: bursts, refill, retry-after, isolation, memory bound."""

from __future__ import annotations

import pytest

from scan_api.verify.ratelimit import TokenBucket, retry_after_s


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_capacity_then_refusal_with_the_wait() -> None:
    clock = Clock()
    bucket = TokenBucket(rate_per_s=0.5, capacity=3, clock=clock)
    assert [bucket.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a") == pytest.approx(2.0)  # one token every 2 s
    clock.now += 1.0
    assert bucket.take("a") == pytest.approx(1.0)  # a refusal takes nothing
    clock.now += 1.0
    assert bucket.take("a") == 0.0
    assert bucket.take("a") == pytest.approx(2.0)


def test_refill_never_exceeds_capacity() -> None:
    clock = Clock()
    bucket = TokenBucket(rate_per_s=1.0, capacity=2, clock=clock)
    bucket.take("a")
    clock.now += 3600
    assert [bucket.take("a") for _ in range(3)][:2] == [0.0, 0.0]
    assert bucket.take("a") > 0


def test_keys_are_independent() -> None:
    bucket = TokenBucket(rate_per_s=0.1, capacity=1, clock=Clock())
    assert bucket.take("a") == 0.0
    assert bucket.take("a") > 0
    assert bucket.take("b") == 0.0


def test_a_clock_going_back_adds_no_tokens() -> None:
    clock = Clock()
    bucket = TokenBucket(rate_per_s=1.0, capacity=1, clock=clock)
    assert bucket.take("a") == 0.0
    clock.now -= 100
    assert bucket.take("a") == pytest.approx(1.0)
    clock.now += 100  # back to where it was: the stored time did not move backwards
    assert bucket.take("a") == pytest.approx(1.0)
    clock.now += 1
    assert bucket.take("a") == 0.0


def test_memory_is_bounded_and_least_recently_used_keys_go_first() -> None:
    clock = Clock()
    bucket = TokenBucket(rate_per_s=0.001, capacity=1, clock=clock, max_keys=3)
    for key in ("a", "b", "c"):
        bucket.take(key)
    bucket.take("a")  # "a" is now the most recently used
    bucket.take("d")  # evicts "b"
    assert len(bucket) == 3
    assert bucket.take("a") > 0 and bucket.take("c") > 0
    assert bucket.take("b") == 0.0  # forgotten: comes back full


def test_per_minute_and_zero_means_no_limit() -> None:
    assert TokenBucket.per_minute(0) is None
    bucket = TokenBucket.per_minute(30, clock=Clock())
    assert bucket is not None
    assert bucket.capacity == 30 and bucket.rate_per_s == pytest.approx(0.5)


@pytest.mark.parametrize(("rate", "capacity", "keys"), [(0, 1, 1), (1, 0.5, 1), (1, 1, 0)])
def test_nonsense_configuration_is_refused(rate: float, capacity: float, keys: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate, capacity, max_keys=keys)


@pytest.mark.parametrize(("wait", "header"), [(0.01, 1), (1.0, 1), (1.2, 2), (59.5, 60)])
def test_retry_after_rounds_up_to_whole_seconds(wait: float, header: int) -> None:
    assert retry_after_s(wait) == header
