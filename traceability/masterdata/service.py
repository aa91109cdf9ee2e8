"""Use cases for master data. Every function runs inside the caller's transaction; none commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

import asyncpg

from geo.geometry import validate_geojson
from traceability.auth.models import Actor
from traceability.errors import Conflict, InvalidInput, NotFound
from traceability.identifiers import normalize_gtin
from traceability.masterdata import repository, repository_territories
from traceability.masterdata.models import (
    Authorization,
    Party,
    PartyKind,
    Product,
    Sanction,
    SanctionAction,
    Territory,
    Upserted,
)

T = TypeVar("T")
Loc = list[str | int]


@dataclass(frozen=True, slots=True)
class Chunk(Generic[T]):
    """One page of a keyset-paginated list; `has_more` says whether another page follows."""

    items: list[T]
    has_more: bool


def _chunk(rows: list[T], limit: int) -> Chunk[T]:
    return Chunk(rows[:limit], len(rows) > limit)


def gtin_at(value: str, loc: Loc) -> str:
    """`normalize_gtin`, with the error located at `loc` (e.g. ["path", "gtin"])."""
    try:
        return normalize_gtin(value, ".".join(str(p) for p in loc[1:]) or "gtin")
    except InvalidInput as exc:
        msg = exc.errors[0]["msg"] if exc.errors else exc.detail
        raise InvalidInput(exc.detail, errors=[{"loc": loc, "msg": msg}]) from exc


# ---------------------------------------------------------------- products


async def put_product(
    conn: asyncpg.Connection,
    gtin: str,
    name: str,
    unit_value: Decimal,
    currency: str,
    inner_code_required: bool,
) -> Upserted[Product]:
    normalized = gtin_at(gtin, ["path", "gtin"])
    return await repository.upsert_product(
        conn, normalized, name, unit_value, currency, inner_code_required
    )


async def get_product(conn: asyncpg.Connection, gtin: str) -> Product:
    normalized = gtin_at(gtin, ["path", "gtin"])
    product = await repository.get_product(conn, normalized)
    if product is None:
        raise NotFound(f"product {normalized} does not exist")
    return product


async def list_products(conn: asyncpg.Connection, after: str | None, limit: int) -> Chunk[Product]:
    return _chunk(await repository.list_products(conn, after, limit + 1), limit)


# ---------------------------------------------------------------- parties


async def put_party(
    conn: asyncpg.Connection,
    party_id: str,
    kind: PartyKind,
    name: str,
    parent_id: str | None,
    lat: float,
    lon: float,
) -> Upserted[Party]:
    if parent_id is not None:
        if parent_id == party_id:
            raise InvalidInput(
                f"parent_id: party {party_id!r} cannot be its own parent",
                errors=[{"loc": ["body", "parent_id"], "msg": "a party cannot be its own parent"}],
            )
        await repository.lock_party_tree(conn)
        if not await repository.party_exists(conn, parent_id):
            raise InvalidInput(
                f"parent_id: party {parent_id!r} does not exist",
                errors=[{"loc": ["body", "parent_id"], "msg": "unknown party"}],
            )
        if await repository.is_ancestor_or_self(conn, party_id, of=parent_id):
            raise InvalidInput(
                f"parent_id: {parent_id!r} is a descendant of {party_id!r}; "
                "making it the parent would create a cycle",
                errors=[{"loc": ["body", "parent_id"], "msg": "would create a parent cycle"}],
            )
    return await repository.upsert_party(conn, party_id, kind, name, parent_id, lat, lon)


async def get_party(conn: asyncpg.Connection, party_id: str) -> Party:
    party = await repository.get_party(conn, party_id)
    if party is None:
        raise NotFound(f"party {party_id!r} does not exist")
    return party


async def list_parties(
    conn: asyncpg.Connection, kind: PartyKind | None, after: str | None, limit: int
) -> Chunk[Party]:
    return _chunk(await repository.list_parties(conn, kind, after, limit + 1), limit)


async def _locked_party(conn: asyncpg.Connection, party_id: str) -> Party:
    party = await repository.get_party(conn, party_id, for_update=True)
    if party is None:
        raise NotFound(f"party {party_id!r} does not exist")
    return party


async def suspend(conn: asyncpg.Connection, party_id: str, reason: str, actor: Actor) -> Party:
    """Circuit breaker: shipments to the party are refused until lifted. Idempotent."""
    party = await _locked_party(conn, party_id)
    if party.suspended:
        return party
    updated = await repository.set_suspension(conn, party_id, reason, suspended=True)
    await repository.insert_sanction(conn, party_id, SanctionAction.SUSPEND, reason, actor)
    return updated


async def lift_suspension(conn: asyncpg.Connection, party_id: str, actor: Actor) -> Party:
    party = await _locked_party(conn, party_id)
    if party.blacklisted:
        raise Conflict(f"party {party_id!r} is blacklisted; its suspension cannot be lifted")
    if not party.suspended:
        raise Conflict(f"party {party_id!r} is not suspended")
    updated = await repository.set_suspension(conn, party_id, None, suspended=False)
    await repository.insert_sanction(conn, party_id, SanctionAction.LIFT, None, actor)
    return updated


async def blacklist(conn: asyncpg.Connection, party_id: str, reason: str, actor: Actor) -> Party:
    """Blacklist (and thereby suspend) the party. Idempotent."""
    party = await _locked_party(conn, party_id)
    if party.blacklisted:
        return party
    updated = await repository.set_blacklisted(conn, party_id, reason)
    await repository.insert_sanction(conn, party_id, SanctionAction.BLACKLIST, reason, actor)
    return updated


async def list_sanctions(
    conn: asyncpg.Connection, party_id: str, after: int | None, limit: int
) -> Chunk[Sanction]:
    if not await repository.party_exists(conn, party_id):
        raise NotFound(f"party {party_id!r} does not exist")
    return _chunk(await repository.list_sanctions(conn, party_id, after, limit + 1), limit)


# ---------------------------------------------------------------- territories


async def put_territory(
    conn: asyncpg.Connection, territory_id: str, name: str, geometry: dict[str, Any]
) -> Upserted[Territory]:
    valid = validate_geojson(geometry, ("body", "geometry"))
    bbox = valid.bbox
    return await repository_territories.upsert_territory(
        conn,
        territory_id,
        name,
        valid.geojson,
        (bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat),
    )


async def get_territory(conn: asyncpg.Connection, territory_id: str) -> Territory:
    territory = await repository_territories.get_territory(conn, territory_id)
    if territory is None:
        raise NotFound(f"territory {territory_id!r} does not exist")
    return territory


async def list_territories(
    conn: asyncpg.Connection, after: str | None, limit: int
) -> Chunk[Territory]:
    return _chunk(await repository_territories.list_territories(conn, after, limit + 1), limit)


# ---------------------------------------------------------------- authorizations


async def _require_party_and_territory(
    conn: asyncpg.Connection, party_id: str, territory_id: str
) -> None:
    if not await repository.party_exists(conn, party_id):
        raise NotFound(f"party {party_id!r} does not exist")
    if not await repository_territories.territory_exists(conn, territory_id):
        raise NotFound(f"territory {territory_id!r} does not exist")


async def put_authorization(
    conn: asyncpg.Connection, party_id: str, territory_id: str, gtins: Sequence[str] | None
) -> Upserted[Authorization]:
    await _require_party_and_territory(conn, party_id, territory_id)
    normalized: list[str] | None = None
    if gtins is not None:
        located = [gtin_at(g, ["body", "gtins", i]) for i, g in enumerate(gtins)]
        missing = set(await repository.missing_products(conn, located))
        if missing:
            errors: list[dict[str, Any]] = [
                {"loc": ["body", "gtins", i], "msg": f"unknown product {g}"}
                for i, g in enumerate(located)
                if g in missing
            ]
            raise InvalidInput(
                f"gtins: unknown product(s) {', '.join(sorted(missing))}; register them first",
                errors=errors,
            )
        normalized = sorted(set(located))
    return await repository_territories.upsert_authorization(
        conn, party_id, territory_id, normalized
    )


async def get_authorization(
    conn: asyncpg.Connection, party_id: str, territory_id: str
) -> Authorization:
    found = await repository_territories.get_authorization(conn, party_id, territory_id)
    if found is None:
        raise NotFound(f"party {party_id!r} is not authorized for territory {territory_id!r}")
    return found


async def revoke_authorization(conn: asyncpg.Connection, party_id: str, territory_id: str) -> None:
    if not await repository_territories.delete_authorization(conn, party_id, territory_id):
        raise NotFound(f"party {party_id!r} is not authorized for territory {territory_id!r}")


async def list_authorizations(
    conn: asyncpg.Connection, party_id: str, after: str | None, limit: int
) -> Chunk[Authorization]:
    if not await repository.party_exists(conn, party_id):
        raise NotFound(f"party {party_id!r} does not exist")
    return _chunk(
        await repository_territories.list_authorizations(conn, party_id, after, limit + 1), limit
    )
