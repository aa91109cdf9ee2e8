"""All SQL of code issuing: keys, batches, codes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import asyncpg


async def all_keys(conn: asyncpg.Connection | asyncpg.Pool) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT layer, kid, alg, plant_id, public_key, encrypted_secret, status,
                  not_before, not_after, revoked_at, created_at
           FROM signing_keys ORDER BY created_at"""
    )


async def keys_fingerprint(conn: asyncpg.Connection | asyncpg.Pool) -> tuple[int, str]:
    """Cheap change detector for the in-memory keyring."""
    row = await conn.fetchrow(
        """SELECT count(*) AS n,
                  coalesce(max(greatest(created_at, not_after, revoked_at))::text, '') AS at
           FROM signing_keys"""
    )
    assert row is not None
    return int(row["n"]), str(row["at"])


async def active_key(
    conn: asyncpg.Connection, layer: str, plant_id: str | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT layer, kid, alg, plant_id, public_key, encrypted_secret, status,
                  not_before, not_after, revoked_at, created_at
            FROM signing_keys
            WHERE layer = $1 AND status = 'active'
              AND plant_id IS NOT DISTINCT FROM $2""",
        layer,
        plant_id,
    )


async def insert_key(
    conn: asyncpg.Connection,
    layer: str,
    kid: str,
    alg: str,
    plant_id: str | None,
    public_key: bytes | None,
    encrypted_secret: bytes,
) -> bool:
    """False when the kid is taken or another active key appeared concurrently."""
    status = await conn.execute(
        """INSERT INTO signing_keys (layer, kid, alg, plant_id, public_key, encrypted_secret)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT DO NOTHING""",
        layer,
        kid,
        alg,
        plant_id,
        public_key,
        encrypted_secret,
    )
    return status.endswith(" 1")


async def retire_active(conn: asyncpg.Connection, layer: str, plant_id: str | None) -> int:
    status = await conn.execute(
        """UPDATE signing_keys SET status = 'retired', not_after = now()
           WHERE layer = $1 AND status = 'active' AND plant_id IS NOT DISTINCT FROM $2""",
        layer,
        plant_id,
    )
    return int(status.split()[-1])


async def find_keys_by_kid(conn: asyncpg.Connection, kid: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT layer, kid, alg, plant_id, public_key, encrypted_secret, status,
                  not_before, not_after, revoked_at, created_at
           FROM signing_keys WHERE kid = $1""",
        kid,
    )


async def revoke_key(conn: asyncpg.Connection, layer: str, kid: str) -> None:
    await conn.execute(
        """UPDATE signing_keys
           SET status = 'revoked', revoked_at = now(), not_after = coalesce(not_after, now())
           WHERE layer = $1 AND kid = $2 AND status <> 'revoked'""",
        layer,
        kid,
    )


async def product_exists(conn: asyncpg.Connection, gtin: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM products WHERE gtin = $1)", gtin))


async def party_kind(conn: asyncpg.Connection, party_id: str) -> str | None:
    value = await conn.fetchval("SELECT kind FROM parties WHERE id = $1", party_id)
    return None if value is None else str(value)


async def insert_batch(
    conn: asyncpg.Connection,
    batch_id: uuid.UUID,
    gtin: str,
    lot: str,
    level: str,
    count: int,
    expiry: date | None,
    plant_id: str,
    kids: tuple[str, str, str],
    created_by: str,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        """INSERT INTO code_batches (id, gtin, lot, level, count, expiry, plant_id,
                                     brand_kid, service_kid, line_kid, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           RETURNING id, gtin, lot, level, count, expiry, plant_id, created_at, revoked_at""",
        batch_id,
        gtin,
        lot,
        level,
        count,
        expiry,
        plant_id,
        *kids,
        created_by,
    )
    assert row is not None
    return row


async def get_batch(conn: asyncpg.Connection, batch_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, gtin, lot, level, count, expiry, plant_id, created_at, revoked_at,
                  revoke_reason
           FROM code_batches WHERE id = $1""",
        batch_id,
    )


async def revoke_batch(conn: asyncpg.Connection, batch_id: uuid.UUID, reason: str) -> bool:
    status = await conn.execute(
        """UPDATE code_batches SET revoked_at = now(), revoke_reason = $2
           WHERE id = $1 AND revoked_at IS NULL""",
        batch_id,
        reason,
    )
    return status.endswith(" 1")


CODE_COLUMNS = ("code", "batch_id", "seq", "serial", "payload")


async def copy_codes(
    conn: asyncpg.Connection, rows: Sequence[tuple[str, uuid.UUID, int, str, str]]
) -> None:
    """COPY a chunk of codes; a serial collision raises UniqueViolationError for the chunk."""
    await conn.copy_records_to_table("codes", records=rows, columns=CODE_COLUMNS)


async def existing_serials(
    conn: asyncpg.Connection, signed: Sequence[tuple[str, str, str]]
) -> list[str]:
    """Which serials of these (code, serial, payload) are stored already (serials are unique
    across every code, and each code's serial is its own)."""
    rows = await conn.fetch(
        "SELECT serial FROM codes WHERE serial = ANY($1::text[])", [s for _, s, _ in signed]
    )
    return [r["serial"] for r in rows]


async def codes_page(
    conn: asyncpg.Connection | asyncpg.Pool, batch_id: uuid.UUID, after_seq: int, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT seq, code, payload FROM codes
           WHERE batch_id = $1 AND seq > $2 ORDER BY seq LIMIT $3""",
        batch_id,
        after_seq,
        limit,
    )


async def code_with_batch(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT c.code, c.payload, c.batch_id, b.gtin, b.lot, b.level, b.expiry, b.plant_id,
                  b.revoked_at AS batch_revoked_at
           FROM codes c JOIN code_batches b ON b.id = c.batch_id
           WHERE c.code = $1""",
        code,
    )


async def lock_inner_codes(
    conn: asyncpg.Connection, batch_id: uuid.UUID, codes: Sequence[str]
) -> dict[str, asyncpg.Record]:
    """The batch's rows of these codes with their stored inner code, locked in code order
    (two uploads of one code: the second sees the first's pin)."""
    rows = await conn.fetch(
        """SELECT code, payload, inner_code_hash, inner_code_keyed FROM codes
           WHERE batch_id = $1 AND code = ANY($2::text[])
           ORDER BY code FOR NO KEY UPDATE""",
        batch_id,
        sorted(codes),
    )
    return {r["code"]: r for r in rows}


async def store_inner_codes(
    conn: asyncpg.Connection, codes: Sequence[str], hashes: Sequence[bytes]
) -> None:
    await conn.execute(
        """UPDATE codes SET inner_code_hash = h.hash, inner_code_keyed = true
           FROM unnest($1::text[], $2::bytea[]) AS h(code, hash)
           WHERE codes.code = h.code""",
        list(codes),
        list(hashes),
    )
