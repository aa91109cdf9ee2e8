"""Test database plumbing: one real PostgreSQL per session, one fresh database per module."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from traceability.db.migrate import apply_migrations

T = TypeVar("T")


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_fn()

    return asyncio.run(main())


def create_template(admin_dsn: str) -> str:
    """A migrated template database; module databases are cheap copies of it."""
    name = f"sealtrace_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def main() -> None:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(with_database(admin_dsn, name))
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()

    run(main)
    return name


def create_database_from(admin_dsn: str, template: str) -> str:
    name = f"sealtrace_t_{uuid.uuid4().hex[:12]}"

    async def main() -> None:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await admin.close()

    run(main)
    return name


def drop_database(admin_dsn: str, name: str) -> None:
    async def main() -> None:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    run(main)


class SyncDb:
    """Synchronous queries on a separate connection, for asserting what is stored."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def _call(self, method: str, sql: str, *args: Any) -> Any:
        async def main() -> Any:
            conn = await asyncpg.connect(self.dsn)
            try:
                return await getattr(conn, method)(sql, *args)
            finally:
                await conn.close()

        return run(main)

    def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        result: list[asyncpg.Record] = self._call("fetch", sql, *args)
        return result

    def fetchval(self, sql: str, *args: Any) -> Any:
        return self._call("fetchval", sql, *args)

    def execute(self, sql: str, *args: Any) -> str:
        result: str = self._call("execute", sql, *args)
        return result

    def counts(self) -> dict[str, int]:
        """Row count of every table in the public schema: a fingerprint of stored data."""
        tables = self.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        names = [r["tablename"] for r in tables]
        sql = " UNION ALL ".join(f"SELECT '{n}' AS t, count(*) AS n FROM \"{n}\"" for n in names)
        return {r["t"]: r["n"] for r in self.fetch(sql)} if names else {}
