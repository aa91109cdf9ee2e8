"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from traceability.db.migrate import latest_version, schema_version

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    expected = latest_version()
    try:
        async with request.app.state.pool.acquire(timeout=2) as conn:
            current = await conn.fetchval("SELECT 1") and await schema_version(conn)
    except Exception as exc:  # any failure here means "not ready", never a 500
        return JSONResponse(
            {"status": "unavailable", "database": f"unreachable: {exc.__class__.__name__}"},
            status_code=503,
            headers={"Retry-After": "2"},
        )
    if current != expected:
        return JSONResponse(
            {"status": "unavailable", "schema_version": current, "expected": expected},
            status_code=503,
            headers={"Retry-After": "2"},
        )
    return JSONResponse({"status": "ready", "schema_version": current})
