"""All SQL about products, parties and sanctions (territories: repository_territories)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from traceability.auth.models import Actor
from traceability.masterdata.models import (
    Party,
    PartyKind,
    Product,
    Sanction,
    SanctionAction,
    Upserted,
)

# Serializes changes to the party tree so that two concurrent PUTs cannot build a cycle.
PARTY_TREE_LOCK_ID = 0x5EA1_7001


# ---------------------------------------------------------------- products


def _product(row: asyncpg.Record) -> Product:
    return Product(
        gtin=row["gtin"],
        name=row["name"],
        unit_value=row["unit_value"],
        currency=row["currency"],
        inner_code_required=row["inner_code_required"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def upsert_product(
    conn: asyncpg.Connection,
    gtin: str,
    name: str,
    unit_value: Decimal,
    currency: str,
    inner_code_required: bool,
) -> Upserted[Product]:
    row = await conn.fetchrow(
        """
        INSERT INTO products (gtin, name, unit_value, currency, inner_code_required)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (gtin) DO UPDATE SET
            name = EXCLUDED.name,
            unit_value = EXCLUDED.unit_value,
            currency = EXCLUDED.currency,
            inner_code_required = EXCLUDED.inner_code_required,
            updated_at = now()
        RETURNING gtin, name, unit_value, currency, inner_code_required, created_at, updated_at,
            (xmax = 0) AS inserted
        """,
        gtin,
        name,
        unit_value,
        currency,
        inner_code_required,
    )
    assert row is not None
    return Upserted(_product(row), bool(row["inserted"]))


async def get_product(conn: asyncpg.Connection, gtin: str) -> Product | None:
    row = await conn.fetchrow(
        """SELECT gtin, name, unit_value, currency, inner_code_required, created_at, updated_at
        FROM products WHERE gtin = $1""",
        gtin,
    )
    return None if row is None else _product(row)


async def list_products(conn: asyncpg.Connection, after: str | None, limit: int) -> list[Product]:
    rows = await conn.fetch(
        """
        SELECT gtin, name, unit_value, currency, inner_code_required, created_at,
            updated_at FROM products
        WHERE $1::bpchar IS NULL OR gtin > $1::bpchar
        ORDER BY gtin LIMIT $2
        """,
        after,
        limit,
    )
    return [_product(r) for r in rows]


async def missing_products(conn: asyncpg.Connection, gtins: Sequence[str]) -> list[str]:
    """Those of `gtins` that are not registered products, in the order given."""
    rows = await conn.fetch(
        """
        SELECT g.gtin FROM unnest($1::bpchar[]) WITH ORDINALITY AS g (gtin, n)
        WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.gtin = g.gtin)
        ORDER BY g.n
        """,
        list(gtins),
    )
    return [r["gtin"] for r in rows]


# ---------------------------------------------------------------- parties


def _party(row: asyncpg.Record) -> Party:
    return Party(
        id=row["id"],
        kind=PartyKind(row["kind"]),
        name=row["name"],
        parent_id=row["parent_id"],
        lat=row["lat"],
        lon=row["lon"],
        suspended_at=row["suspended_at"],
        suspension_reason=row["suspension_reason"],
        blacklisted_at=row["blacklisted_at"],
        blacklist_reason=row["blacklist_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def lock_party_tree(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", PARTY_TREE_LOCK_ID)


async def is_ancestor_or_self(conn: asyncpg.Connection, party_id: str, of: str) -> bool:
    """Whether `party_id` is `of` or one of its ancestors (walking parent_id upwards)."""
    found = await conn.fetchval(
        """
        WITH RECURSIVE up (id, parent_id) AS (
            SELECT id::text, parent_id::text FROM parties WHERE id = $2
            UNION
            SELECT p.id::text, p.parent_id::text FROM parties p JOIN up ON p.id = up.parent_id
        )
        SELECT EXISTS (SELECT 1 FROM up WHERE id = $1)
        """,
        party_id,
        of,
    )
    return bool(found)


async def upsert_party(
    conn: asyncpg.Connection,
    party_id: str,
    kind: PartyKind,
    name: str,
    parent_id: str | None,
    lat: float,
    lon: float,
) -> Upserted[Party]:
    row = await conn.fetchrow(
        """
        INSERT INTO parties (id, kind, name, parent_id, lat, lon)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (id) DO UPDATE SET
            kind = EXCLUDED.kind,
            name = EXCLUDED.name,
            parent_id = EXCLUDED.parent_id,
            lat = EXCLUDED.lat,
            lon = EXCLUDED.lon,
            updated_at = now()
        RETURNING id, kind, name, parent_id, lat, lon, suspended_at, suspension_reason,
            blacklisted_at, blacklist_reason, created_at, updated_at, (xmax = 0) AS inserted
        """,
        party_id,
        kind.value,
        name,
        parent_id,
        lat,
        lon,
    )
    assert row is not None
    return Upserted(_party(row), bool(row["inserted"]))


async def get_party(
    conn: asyncpg.Connection, party_id: str, *, for_update: bool = False
) -> Party | None:
    if for_update:
        row = await conn.fetchrow(
            """SELECT id, kind, name, parent_id, lat, lon, suspended_at, suspension_reason,
                      blacklisted_at, blacklist_reason, created_at, updated_at
               FROM parties WHERE id = $1 FOR UPDATE""",
            party_id,
        )
    else:
        row = await conn.fetchrow(
            """SELECT id, kind, name, parent_id, lat, lon, suspended_at, suspension_reason,
                      blacklisted_at, blacklist_reason, created_at, updated_at
               FROM parties WHERE id = $1""",
            party_id,
        )
    return None if row is None else _party(row)


async def party_exists(conn: asyncpg.Connection, party_id: str) -> bool:
    return bool(
        await conn.fetchval("SELECT EXISTS (SELECT 1 FROM parties WHERE id = $1)", party_id)
    )


async def list_parties(
    conn: asyncpg.Connection, kind: PartyKind | None, after: str | None, limit: int
) -> list[Party]:
    rows = await conn.fetch(
        """
        SELECT id, kind, name, parent_id, lat, lon, suspended_at, suspension_reason,
            blacklisted_at, blacklist_reason, created_at, updated_at FROM parties
        WHERE ($1::text IS NULL OR kind = $1::text) AND ($2::text IS NULL OR id > $2::text)
        ORDER BY id LIMIT $3
        """,
        None if kind is None else kind.value,
        after,
        limit,
    )
    return [_party(r) for r in rows]


async def set_suspension(
    conn: asyncpg.Connection, party_id: str, reason: str | None, suspended: bool
) -> Party:
    row = await conn.fetchrow(
        """
        UPDATE parties SET
            suspended_at = CASE WHEN $3 THEN now() END,
            suspension_reason = CASE WHEN $3 THEN $2 END,
            updated_at = now()
        WHERE id = $1
        RETURNING id, kind, name, parent_id, lat, lon, suspended_at, suspension_reason,
            blacklisted_at, blacklist_reason, created_at, updated_at
        """,
        party_id,
        reason,
        suspended,
    )
    assert row is not None
    return _party(row)


async def set_blacklisted(conn: asyncpg.Connection, party_id: str, reason: str) -> Party:
    """Blacklist and, unless already suspended, suspend (a blacklisted party gets no supply)."""
    row = await conn.fetchrow(
        """
        UPDATE parties SET
            blacklisted_at = now(),
            blacklist_reason = $2,
            suspension_reason = CASE WHEN suspended_at IS NULL
                                     THEN 'blacklisted: ' || $2 ELSE suspension_reason END,
            suspended_at = coalesce(suspended_at, now()),
            updated_at = now()
        WHERE id = $1
        RETURNING id, kind, name, parent_id, lat, lon, suspended_at, suspension_reason,
            blacklisted_at, blacklist_reason, created_at, updated_at
        """,
        party_id,
        reason,
    )
    assert row is not None
    return _party(row)


# ---------------------------------------------------------------- sanctions


def _sanction(row: asyncpg.Record) -> Sanction:
    return Sanction(
        id=row["id"],
        party_id=row["party_id"],
        action=SanctionAction(row["action"]),
        reason=row["reason"],
        actor=row["actor"],
        actor_token_id=row["actor_token_id"],
        at=row["at"],
    )


async def insert_sanction(
    conn: asyncpg.Connection,
    party_id: str,
    action: SanctionAction,
    reason: str | None,
    actor: Actor,
) -> Sanction:
    row = await conn.fetchrow(
        """
        INSERT INTO party_sanctions (party_id, action, reason, actor, actor_token_id)
        VALUES ($1, $2, $3, $4, $5)
        RETURNING id, party_id, action, reason, actor, actor_token_id, at
        """,
        party_id,
        action.value,
        reason,
        actor.name,
        actor.token_id,
    )
    assert row is not None
    return _sanction(row)


async def list_sanctions(
    conn: asyncpg.Connection, party_id: str, after: int | None, limit: int
) -> list[Sanction]:
    rows = await conn.fetch(
        """
        SELECT id, party_id, action, reason, actor, actor_token_id, at FROM party_sanctions
        WHERE party_id = $1 AND ($2::bigint IS NULL OR id > $2::bigint)
        ORDER BY id LIMIT $3
        """,
        party_id,
        after,
        limit,
    )
    return [_sanction(r) for r in rows]
