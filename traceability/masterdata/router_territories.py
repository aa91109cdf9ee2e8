"""HTTP: territories (admin writes; admin and compliance read)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from scan_api.http.deps import AdminOnly, ComplianceOrAdmin, Tx
from scan_api.http.pagination import Cursor, Limit, Page
from traceability.masterdata import service
from traceability.masterdata.router_common import (
    TerritoryIdPath,
    id_cursor,
    next_cursor,
    put_responses,
    put_status,
)
from traceability.masterdata.schemas import TerritoryOut, TerritoryPut

router = APIRouter(prefix="/v1/territories", tags=["master data"])


@router.put(
    "/{territory_id}",
    response_model=TerritoryOut,
    responses=put_responses(TerritoryOut),
    summary="Create or replace a territory",
)
async def put_territory(
    territory_id: TerritoryIdPath, body: TerritoryPut, conn: Tx, _: AdminOnly, response: Response
) -> TerritoryOut:
    """Invalid geometry is a 422 whose `detail` names the problem and `errors[].loc` its place."""
    result = await service.put_territory(conn, territory_id, body.name, body.geometry)
    put_status(response, result)
    return TerritoryOut.of(result.value)


@router.get("/{territory_id}", response_model=TerritoryOut, summary="Get a territory")
async def get_territory(
    territory_id: TerritoryIdPath, conn: Tx, _: ComplianceOrAdmin
) -> TerritoryOut:
    return TerritoryOut.of(await service.get_territory(conn, territory_id))


@router.get("", response_model=Page[TerritoryOut], summary="List territories by id")
async def list_territories(
    conn: Tx, _: ComplianceOrAdmin, limit: Limit = 100, cursor: Cursor = None
) -> Page[TerritoryOut]:
    chunk = await service.list_territories(conn, id_cursor(cursor), limit)
    items = [TerritoryOut.of(t) for t in chunk.items]
    last = items[-1].id if items else None
    return Page[TerritoryOut](items=items, next_cursor=next_cursor(chunk.has_more, last))
