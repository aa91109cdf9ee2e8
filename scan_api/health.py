"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from scan_api.http.problems import problem_response
from traceability.db.migrate import latest_version, schema_version
from traceability.db.pool import connection

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when the database answers and its schema is current; else 503 with Retry-After."""
    expected = latest_version()
    try:
        async with connection(request.app.state.pool, wait_s=2) as conn:
            current = await asyncio.wait_for(schema_version(conn), 2)  # a silent database
    except Exception as exc:  # any failure here means "not ready", never a 500
        return _not_ready(f"database unreachable ({exc.__class__.__name__})")
    if current != expected:
        return _not_ready(f"schema version {current}, expected {expected}")
    return JSONResponse({"status": "ready", "schema_version": current})


def _not_ready(detail: str) -> JSONResponse:
    return problem_response(
        503, "unavailable", "Service unavailable", detail, headers={"Retry-After": "2"}
    )
