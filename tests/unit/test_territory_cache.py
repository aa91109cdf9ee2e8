"""The territory cache rebuilds its index off the event loop, one check at a time."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from risk_engine import territories
from risk_engine.territories import TerritoryCache

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[121.0, 31.0], [122.0, 31.0], [122.0, 32.0], [121.0, 32.0], [121.0, 31.0]]],
}


@pytest.fixture
def fake_db(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Territories as the repository would read them; the fingerprint moves with `version`."""
    db: dict[str, Any] = {
        "version": 1,
        "rows": [{"id": "sh", "name": "Shanghai", "geometry": SQUARE}],
    }

    async def fingerprint(conn: object) -> tuple[int, str]:
        return len(db["rows"]), str(db["version"])

    async def rows(conn: object) -> list[dict[str, Any]]:
        return list(db["rows"])

    monkeypatch.setattr(territories.repository, "territories_fingerprint", fingerprint)
    monkeypatch.setattr(territories.repository, "all_territories", rows)
    return db


def test_the_loop_keeps_running_while_the_index_is_built(
    fake_db: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build waits until another coroutine has run: on the loop it would never finish."""
    other_ran = threading.Event()
    real_build = territories.build

    def slow_build(rows: Any) -> Any:
        assert other_ran.wait(5), "the event loop was blocked by the build"
        return real_build(rows)

    monkeypatch.setattr(territories, "build", slow_build)

    async def scenario() -> Any:
        cache = TerritoryCache(check_every_s=0)

        async def other() -> None:
            await asyncio.sleep(0.01)
            other_ran.set()

        index, _ = await asyncio.gather(cache.index(None), other())  # type: ignore[arg-type]
        return index

    index = asyncio.run(scenario())
    assert [m.territory_id for m in index.locate(31.5, 121.5)] == ["sh"]


def test_callers_during_a_rebuild_get_the_index_as_it_was(fake_db: dict[str, Any]) -> None:
    async def scenario() -> tuple[list[str], list[str], list[str]]:
        cache = TerritoryCache(check_every_s=0)
        await cache.index(None)  # type: ignore[arg-type]
        fake_db["version"] = 2
        fake_db["rows"] = []  # the territory was deleted
        rebuilding = asyncio.ensure_future(cache.index(None))  # type: ignore[arg-type]
        await asyncio.sleep(0)  # it has started checking
        meanwhile = await cache.index(None)  # type: ignore[arg-type]
        after = await rebuilding

        def ids(index: Any) -> list[str]:
            return [m.territory_id for m in index.locate(31.5, 121.5)]

        return ids(meanwhile), ids(after), ids(await cache.index(None))  # type: ignore[arg-type]

    meanwhile, after, later = asyncio.run(scenario())
    assert meanwhile == ["sh"] and after == [] and later == []


def test_before_the_first_index_every_caller_waits_for_it(fake_db: dict[str, Any]) -> None:
    async def scenario() -> list[list[str]]:
        cache = TerritoryCache()
        indexes = await asyncio.gather(*(cache.index(None) for _ in range(3)))  # type: ignore[arg-type]
        return [[m.territory_id for m in i.locate(31.5, 121.5)] for i in indexes]

    assert asyncio.run(scenario()) == [["sh"], ["sh"], ["sh"]]
