"""All SQL about tokens."""

from __future__ import annotations

import uuid

import asyncpg


async def insert_token(
    conn: asyncpg.Connection,
    token_id: uuid.UUID,
    name: str,
    role: str,
    party_id: str | None,
    secret_hash: bytes,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        """
        INSERT INTO tokens (id, name, role, party_id, secret_hash)
        VALUES ($1, $2, $3, $4, $5)
        RETURNING id, name, role, party_id, created_at
        """,
        token_id,
        name,
        role,
        party_id,
        secret_hash,
    )
    assert row is not None
    return row


async def revoke_token(conn: asyncpg.Connection, token_id: uuid.UUID) -> bool:
    status = await conn.execute(
        "UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", token_id
    )
    return status.endswith(" 1")


async def token_exists(conn: asyncpg.Connection, token_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM tokens WHERE id = $1)", token_id))


async def party_kind(conn: asyncpg.Connection, party_id: str) -> str | None:
    value = await conn.fetchval("SELECT kind FROM parties WHERE id = $1", party_id)
    return None if value is None else str(value)


async def lock_and_check_any_token(conn: asyncpg.Connection) -> bool:
    """Serialize first-start bootstrapping between processes; True when any token exists."""
    await conn.execute("LOCK TABLE tokens IN SHARE ROW EXCLUSIVE MODE")
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM tokens)"))


async def get_active_tokens(
    conn: asyncpg.Connection, token_ids: list[uuid.UUID]
) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch(
        """
        SELECT t.id, t.name, t.role, t.party_id, t.secret_hash, p.kind AS party_kind
        FROM tokens t LEFT JOIN parties p ON p.id = t.party_id
        WHERE t.id = ANY($1::uuid[]) AND t.revoked_at IS NULL
        """,
        token_ids,
    )
    return {r["id"]: r for r in rows}
