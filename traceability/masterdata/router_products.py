"""HTTP: products (admin writes; admin and compliance read)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from scan_api.http.deps import AdminOnly, ComplianceOrAdmin, Tx
from scan_api.http.pagination import Cursor, Limit, Page
from traceability.masterdata import service
from traceability.masterdata.router_common import (
    GtinPath,
    gtin_cursor,
    next_cursor,
    put_responses,
    put_status,
)
from traceability.masterdata.schemas import ProductOut, ProductPut

router = APIRouter(prefix="/v1/products", tags=["master data"])


@router.put(
    "/{gtin}",
    response_model=ProductOut,
    responses=put_responses(ProductOut),
    summary="Create or replace a product",
)
async def put_product(
    gtin: GtinPath, body: ProductPut, conn: Tx, _: AdminOnly, response: Response
) -> ProductOut:
    """PUT replaces the whole product: an omitted `inner_code_required` becomes false."""
    result = await service.put_product(
        conn, gtin, body.name, body.unit_value, body.currency, body.inner_code_required
    )
    put_status(response, result)
    return ProductOut.of(result.value)


@router.get("/{gtin}", response_model=ProductOut, summary="Get a product")
async def get_product(gtin: GtinPath, conn: Tx, _: ComplianceOrAdmin) -> ProductOut:
    return ProductOut.of(await service.get_product(conn, gtin))


@router.get("", response_model=Page[ProductOut], summary="List products by GTIN")
async def list_products(
    conn: Tx, _: ComplianceOrAdmin, limit: Limit = 100, cursor: Cursor = None
) -> Page[ProductOut]:
    chunk = await service.list_products(conn, gtin_cursor(cursor), limit)
    items = [ProductOut.of(p) for p in chunk.items]
    last = items[-1].gtin if items else None
    return Page[ProductOut](items=items, next_cursor=next_cursor(chunk.has_more, last))
