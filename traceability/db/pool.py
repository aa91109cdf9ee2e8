"""asyncpg pool creation with the codecs every repository relies on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

import asyncpg
import orjson
from asyncpg import Connection


async def _init_connection(conn: asyncpg.Connection) -> None:
    """jsonb in and out as Python objects, encoded with orjson."""
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda v: orjson.dumps(v).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )
    await conn.set_type_codec(
        "json",
        encoder=lambda v: orjson.dumps(v).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )


async def create_pool(
    dsn: str, min_size: int = 2, max_size: int = 20, statement_timeout_s: float = 60
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        command_timeout=statement_timeout_s,
        timeout=statement_timeout_s,  # connecting too
    )
    assert pool is not None
    return pool


@asynccontextmanager
async def connection(pool: asyncpg.Pool, wait_s: float | None = None) -> AsyncIterator[Connection]:
    """A pooled connection, typed as a plain Connection (the proxy forwards every method)."""
    async with pool.acquire(timeout=wait_s) as proxy:
        yield cast(Connection, proxy)
