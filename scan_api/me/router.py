"""HTTP: GET /v1/me (any valid token) and GET /v1/me/ship-targets (for shippers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from scan_api.http.deps import CurrentPrincipal, Tx
from scan_api.http.pagination import (
    Cursor,
    Limit,
    Page,
    decode_str_cursor,
    encode_cursor,
)
from scan_api.me import service
from scan_api.me.schemas import MeOut, ShipTarget

router = APIRouter(prefix="/v1/me", tags=["me"])


@router.get("", response_model=MeOut, summary="Who the calling token is")
async def get_me(conn: Tx, principal: CurrentPrincipal) -> MeOut:
    """The token's role and name, its party (line and logistics) and the checkpoints it may
    scan at. The mini-app offers exactly these."""
    return MeOut.of(await service.whoami(conn, principal))


@router.get(
    "/ship-targets", response_model=Page[ShipTarget], summary="Parties the caller may ship to"
)
async def get_ship_targets(
    conn: Tx,
    principal: CurrentPrincipal,
    q: Annotated[
        str | None, Query(min_length=1, max_length=64, description="Part of an id or name.")
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[ShipTarget]:
    """Dealers and retailers that are not suspended (the caller's own party left out), by id,
    for the `to_party_id` of `ship` and `dealer_ship`. Logistics tokens cannot list
    `/v1/parties`; this is the part of it they need. Admin and compliance may read it too;
    line tokens get 403."""
    rows, more = await service.ship_targets(conn, principal, q, decode_str_cursor(cursor), limit)
    items = [ShipTarget(id=r.id, name=r.name, kind=r.kind, parent_id=r.parent_id) for r in rows]
    next_cursor = encode_cursor(items[-1].id) if more and items else None
    return Page[ShipTarget](items=items, next_cursor=next_cursor)
