"""HTTP: all master-data routes (products, parties, territories, authorizations, sanctions)."""

from __future__ import annotations

from fastapi import APIRouter

from traceability.masterdata.router_parties import router as parties_router
from traceability.masterdata.router_products import router as products_router
from traceability.masterdata.router_territories import router as territories_router

router = APIRouter()
router.include_router(products_router)
router.include_router(parties_router)
router.include_router(territories_router)
