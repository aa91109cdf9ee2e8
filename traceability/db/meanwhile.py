"""CPU work done while a query is out on the wire."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

R = TypeVar("R")
T = TypeVar("T")


async def meanwhile(query: Awaitable[R], work: Callable[[], T]) -> tuple[T, R]:
    """Run `work()` while `query` runs; returns both results.

    A group's statements are sequential on its connection, and the API process has nothing
    else to do while all its clients wait in one group: work that does not need the answer
    should run while PostgreSQL computes it. `work` must not use the connection (asyncpg runs
    one operation at a time); the query is always awaited, so the connection is free again
    when this returns or raises.
    """
    querying = asyncio.ensure_future(query)
    async with settled(querying):
        await asyncio.sleep(0)  # let the query reach the wire before the CPU work starts
        done = work()
    return done, await querying


@contextlib.asynccontextmanager
async def settled(*queries: asyncio.Future[Any]) -> AsyncIterator[None]:
    """Leaving with an error, first wait for the queries still in flight: the connection must
    be free again before the transaction rolls back."""
    try:
        yield
    except BaseException:
        for query in queries:
            with contextlib.suppress(Exception):
                await query
        raise
