"""Fixtures shared by the API test modules."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from tests.world import World, build_world


@pytest.fixture(scope="module")
def world(
    client: TestClient, admin_headers: dict[str, str], make_token: Callable[..., dict[str, str]]
) -> World:
    """The supply chain of tests/world.py, built once per module (on its own database)."""
    return build_world(client, admin_headers, make_token)
