"""Two servers starting at the same moment on a new database both come up (found by a
review: one died with "another active brand key was created concurrently")."""

from __future__ import annotations

import asyncio

import asyncpg

from codegen.keys_crypto import generate_master_key
from codegen.keystore import ensure_base_keys


def test_two_servers_ensuring_the_base_keys_at_once_both_succeed(module_dsn: str) -> None:
    async def scenario() -> int:
        master = generate_master_key()
        conns = [await asyncpg.connect(module_dsn) for _ in range(2)]
        try:
            await asyncio.gather(*(ensure_base_keys(c, master) for c in conns))
            active: int = await conns[0].fetchval(
                "SELECT count(*) FROM signing_keys WHERE layer = 'brand' AND status = 'active'"
            )
            return active
        finally:
            for c in conns:
                await c.close()

    assert asyncio.run(scenario()) == 1
