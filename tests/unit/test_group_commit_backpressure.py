"""Group commit refuses new jobs when too many wait (503), instead of queueing without bound."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from traceability.db.group_commit import GroupCommit
from traceability.errors import Unavailable


def test_a_full_queue_answers_503_at_once() -> None:
    async def scenario() -> None:
        async def never_called(conn: Any, jobs: Any) -> list[int]:
            raise AssertionError("no worker runs in this test")

        committer: GroupCommit[int, int] = GroupCommit(
            pool=None,  # type: ignore[arg-type]
            work=never_called,
            workers=0,
            max_waiting=2,
        )
        waiting = [asyncio.ensure_future(committer.submit(n)) for n in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(Unavailable) as refused:
            await committer.submit(3)
        assert refused.value.headers["Retry-After"] == "1"
        await committer.close()
        for future in waiting:
            with pytest.raises(ConnectionError):
                await future

    asyncio.run(scenario())
