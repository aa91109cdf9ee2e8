"""Fixtures of the real-browser tests. Skipped (not failed) only when Chromium is absent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.browser.browser_support import CHROMIUM, LiveServer, launch
from tests.world import World, build_world
from traceability.config import Settings


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(
                    pytest.mark.skip(reason="Chromium is not installed (/usr/bin/chromium)")
                )


@pytest.fixture(scope="module")
def world(
    client: TestClient, admin_headers: dict[str, str], make_token: Callable[..., dict[str, str]]
) -> World:
    w = build_world(client, admin_headers, make_token)
    # The first batch creates the plant's line key: before the live server loads its keyring
    # (it re-reads keys only every few seconds).
    w.issue(1, lot="WARMUP")
    return w


@pytest.fixture(scope="module")
def live(module_dsn: str, settings: Settings, world: World) -> Iterator[LiveServer]:
    """Started after the world is built (same database, settings and master key file)."""
    with LiveServer(settings, module_dsn) as server:
        yield server


@pytest.fixture(scope="module")
def playwright_instance(live: LiveServer, world: World) -> Iterator[Any]:
    """Module-scoped and set up after the database fixtures: Playwright's sync API keeps an
    event loop running on this thread, so `asyncio.run` (tests/pg.py) fails while it lives."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_instance: Any) -> Iterator[Any]:
    b = launch(playwright_instance)
    yield b
    b.close()
