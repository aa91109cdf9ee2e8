"""The first admin token on a new database, so a fresh install can be administered at all."""

from __future__ import annotations

import asyncpg

from traceability.auth import repository, service
from traceability.auth.models import Role


async def first_admin_token(conn: asyncpg.Connection) -> str | None:
    """A new admin token when the database has no tokens yet; otherwise None."""
    if await repository.lock_and_check_any_token(conn):
        return None
    issued = await service.create_token(conn, Role.ADMIN, "bootstrap-admin", None)
    return issued.token
