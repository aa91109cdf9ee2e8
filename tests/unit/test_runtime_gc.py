"""The garbage-collector tuning applied after startup (scan_api/runtime.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from scan_api.runtime import tune_garbage_collector


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


@pytest.mark.usefixtures("restore_gc")
def test_raises_the_young_threshold_and_freezes_startup_objects() -> None:
    gc.set_threshold(700, 10, 10)
    survivor = [object() for _ in range(10)]  # built "at startup"
    tune_garbage_collector(50_000)
    assert gc.get_threshold() == (50_000, 10, 10)
    assert gc.get_freeze_count() >= len(survivor)


@pytest.mark.usefixtures("restore_gc")
def test_zero_leaves_python_defaults_alone() -> None:
    gc.set_threshold(700, 10, 10)
    gc.unfreeze()
    tune_garbage_collector(0)
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0
