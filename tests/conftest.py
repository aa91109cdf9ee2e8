"""Shared fixtures: real PostgreSQL (embedded unless DATABASE_URL is set), the app, tokens."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from scan_api.app import create_app
from tests.pg import SyncDb, create_database_from, create_template, drop_database, with_database
from traceability.auth.bootstrap import first_admin_token
from traceability.config import Settings
from traceability.db.runtime import run_with_connection


@pytest.fixture(scope="session")
def pg_admin_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    from traceability.db.embedded import start_embedded, stop_embedded

    server = start_embedded(tmp_path_factory.mktemp("pg") / "data")
    try:
        yield str(server.get_uri())
    finally:
        stop_embedded(server)


@pytest.fixture(scope="session")
def pg_template(pg_admin_dsn: str) -> Iterator[str]:
    name = create_template(pg_admin_dsn)
    yield name
    drop_database(pg_admin_dsn, name)


@pytest.fixture(scope="module")
def module_dsn(pg_admin_dsn: str, pg_template: str) -> Iterator[str]:
    """A fresh, migrated database for each test module."""
    name = create_database_from(pg_admin_dsn, pg_template)
    yield with_database(pg_admin_dsn, name)
    drop_database(pg_admin_dsn, name)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    return Settings(data_dir=Path(data_dir), log_level="WARNING", master_key=None)


@pytest.fixture(scope="module")
def client(module_dsn: str, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, dsn=module_dsn)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def admin_token(client: TestClient, module_dsn: str) -> str:
    token = run_with_connection(module_dsn, first_admin_token)
    assert token is not None, "module database already had tokens"
    return token


@pytest.fixture(scope="module")
def admin_headers(admin_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token}"}


@pytest.fixture(scope="module")
def make_token(client: TestClient, admin_headers: dict[str, str]) -> Callable[..., dict[str, str]]:
    counter = {"n": 0}

    def make(role: str, party_id: str | None = None, name: str | None = None) -> dict[str, str]:
        counter["n"] += 1
        body: dict[str, Any] = {"role": role, "name": name or f"{role}-{counter['n']}"}
        if party_id is not None:
            body["party_id"] = party_id
        response = client.post("/v1/tokens", json=body, headers=admin_headers)
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return make


@pytest.fixture(scope="module")
def db(module_dsn: str) -> SyncDb:
    return SyncDb(module_dsn)
