"""Synchronous helpers for CLI commands: attach to the configured database for one command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import asyncpg

from traceability.config import Settings
from traceability.db.embedded import KeepAlive, resolve_database_url, stop_embedded
from traceability.db.migrate import apply_migrations
from traceability.db.pool import connection, create_pool

T = TypeVar("T")


@contextmanager
def database_url(settings: Settings, keep_alive: bool = False) -> Iterator[str]:
    """The DSN to use; an embedded server started here is stopped on exit unless others use it.

    `keep_alive`: for a long-running command (`serve`), an embedded server that crashes is
    started again meanwhile (every `embedded_watch_s`).
    """
    url, server = resolve_database_url(
        settings.database_url, settings.pg_data_dir, settings.embedded_shared_buffers
    )
    try:
        if server is None or not keep_alive:
            yield url
        else:
            with KeepAlive(server, settings.embedded_watch_s):
                yield url
    finally:
        if server is not None:
            stop_embedded(server)


def run_with_connection(dsn: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Migrate, then run `work` inside one transaction."""

    async def main() -> T:
        pool = await create_pool(dsn, 1, 2)
        try:
            async with connection(pool) as conn:
                await apply_migrations(conn)
                async with conn.transaction():
                    return await work(conn)
        finally:
            await pool.close()

    return asyncio.run(main())
