"""Request-scoped dependencies: the one transaction per request, and who is calling."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request

from traceability.auth import service as auth_service
from traceability.auth.models import Principal, Role
from traceability.config import Settings
from traceability.db.pool import connection
from traceability.errors import Forbidden, NotAuthenticated


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def transaction(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """The request's only transaction; it commits when the endpoint returns, before the response."""
    pool = get_pool(request)
    wait_s = request.app.state.settings.db_acquire_timeout_s  # then 503, not a hang
    async with connection(pool, wait_s) as conn, conn.transaction():
        yield conn


# scope="function": commit runs when the endpoint returns, so nothing is acknowledged uncommitted.
Tx = Annotated[asyncpg.Connection, Depends(transaction, scope="function")]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated()
    return value.strip()


async def current_principal(request: Request, conn: Tx) -> Principal:
    return await auth_service.authenticate(conn, bearer_token(request))


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    allowed = frozenset(roles) | {Role.ADMIN}

    async def guard(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role.value} may not do this")
        return principal

    return guard


AppSettings = Annotated[Settings, Depends(get_settings)]
AdminOnly = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
ComplianceOrAdmin = Annotated[Principal, Depends(require_roles(Role.COMPLIANCE))]
