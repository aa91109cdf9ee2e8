"""Every way asyncpg reports a database outage is answered 503 + Retry-After, never a 500.

The outage itself is exercised end to end in test_reliability.py; the race that surfaces as
asyncpg's InternalClientError (an idle pooled connection dropped by a fast shutdown, handed out
while still consuming the server's error) is too rare to rely on there, so it is pinned here.
"""

from __future__ import annotations

import asyncpg
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from scan_api.http.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers

OUTAGES = [
    asyncpg.exceptions.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress"
    ),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    FileNotFoundError(2, "No such file or directory"),  # the Unix socket is gone
    ConnectionRefusedError(111, "Connection refused"),
]


@pytest.mark.parametrize("error", OUTAGES, ids=lambda e: type(e).__name__)
def test_database_outage_is_503_with_retry_after(error: Exception) -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert response.json()["status"] == 503
