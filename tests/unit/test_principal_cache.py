"""The principal cache: accepted tokens for a second, forgotten at once on revocation."""

from __future__ import annotations

import uuid

import pytest

from traceability.auth import cache as cache_module
from traceability.auth.cache import PrincipalCache, bearer_key
from traceability.auth.models import Principal, Role


def _principal(token_id: uuid.UUID | None = None) -> Principal:
    return Principal(token_id or uuid.uuid4(), "scanner", Role.LOGISTICS, "dealer-sh", "dealer")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: now[0])
    return now


def test_an_entry_lives_for_ttl_seconds(clock: list[float]) -> None:
    cache, key, principal = PrincipalCache(ttl_s=1.0), bearer_key("st_a.b"), _principal()
    cache.put(key, principal)
    clock[0] += 0.99
    assert cache.get(key) is principal
    clock[0] += 0.02
    assert cache.get(key) is None


def test_forget_drops_every_bearer_of_the_token(clock: list[float]) -> None:
    cache, token_id = PrincipalCache(), uuid.uuid4()
    cache.put(bearer_key("one"), _principal(token_id))
    cache.put(bearer_key("other"), _principal())
    cache.forget(token_id)
    assert cache.get(bearer_key("one")) is None
    assert cache.get(bearer_key("other")) is not None


def test_zero_ttl_keeps_nothing_and_size_is_bounded(clock: list[float]) -> None:
    off = PrincipalCache(ttl_s=0)
    off.put(bearer_key("x"), _principal())
    assert off.get(bearer_key("x")) is None
    small = PrincipalCache(max_entries=3)
    for i in range(10):
        small.put(bearer_key(str(i)), _principal())
    assert len(small._entries) <= 3
    assert small.get(bearer_key("9")) is not None


def test_the_key_is_a_digest_not_the_secret() -> None:
    assert b"secret" not in bearer_key("st_id.secret")
    assert bearer_key("a") != bearer_key("b")
