"""HTTP: code batches, their NDJSON stream, QR images, and the public keys."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse

from codegen import qr, service
from codegen.keystore import KeyStore
from codegen.models import Batch
from codegen.schemas import BatchCreate, BatchOut, InnerCodesIn, InnerCodesOut, KeysDocument
from scan_api.http.deps import AppSettings, Tx, get_pool, require_roles
from traceability.auth.models import Principal, Role

router = APIRouter(tags=["codes"])
LineOrAdmin = Annotated[Principal, Depends(require_roles(Role.LINE))]
Reader = Annotated[Principal, Depends(require_roles(Role.LINE, Role.COMPLIANCE))]
CodeRef = Annotated[str, Path(max_length=600, description="Canonical code or URL-encoded payload")]


def get_keystore(request: Request) -> KeyStore:
    store: KeyStore = request.app.state.keystore
    return store


Keys = Annotated[KeyStore, Depends(get_keystore)]


def _out(batch: Batch) -> BatchOut:
    return BatchOut(
        batch_id=batch.id,
        gtin=batch.gtin,
        lot=batch.lot,
        level=batch.level,
        count=batch.count,
        expiry=batch.expiry,
        plant_id=batch.plant_id,
        created_at=batch.created_at,
        revoked=batch.revoked_at is not None,
    )


@router.post("/v1/code-batches", status_code=201, response_model=BatchOut)
async def create_batch(
    body: BatchCreate,
    conn: Tx,
    principal: LineOrAdmin,
    store: Keys,
    settings: AppSettings,
    request: Request,
) -> BatchOut:
    req = service.BatchRequest(
        body.gtin, body.lot, body.level, body.count, body.expiry, body.plant_id
    )
    executor = request.app.state.signing_pool
    batch = await service.issue_batch(conn, store, settings, principal, req, executor)
    return _out(batch)


@router.get("/v1/code-batches/{batch_id}", response_model=BatchOut)
async def get_batch(batch_id: uuid.UUID, conn: Tx, principal: Reader) -> BatchOut:
    return _out(await service.visible_batch(conn, principal, batch_id))


@router.get(
    "/v1/code-batches/{batch_id}/codes",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def batch_codes(
    batch_id: uuid.UUID, conn: Tx, principal: Reader, request: Request
) -> StreamingResponse:
    """One `{"code", "payload"}` per line, streamed page by page from the database."""
    await service.visible_batch(conn, principal, batch_id)
    return StreamingResponse(
        service.stream_codes(get_pool(request), batch_id), media_type="application/x-ndjson"
    )


@router.put(
    "/v1/code-batches/{batch_id}/inner-codes",
    response_model=InnerCodesOut,
    responses={
        404: {"description": "No such batch (or another plant's, for a line token)."},
        409: {"description": "A code has another inner code already (written once)."},
        422: {"description": "Not an item batch, a code not of this batch, a bad pin."},
    },
)
async def put_inner_codes(
    batch_id: uuid.UUID, body: InnerCodesIn, conn: Tx, principal: LineOrAdmin, store: Keys
) -> InnerCodesOut:
    """Store the inner codes printed inside the batch's items (`pin`, under the cap or in the
    package), as keyed hashes only: all or nothing, each code once. Consumers then earn
    points for products that need it only with the right pin. Sending a code's stored pin
    again changes nothing (`unchanged`), so an upload can be retried."""
    entries = [(e.code, e.pin) for e in body.inner_codes]
    stored, unchanged = await service.load_inner_codes(conn, store, principal, batch_id, entries)
    return InnerCodesOut(stored=stored, unchanged=unchanged)


@router.get("/v1/codes/{code:path}/qr.png", response_class=Response)
async def code_qr_png(code: CodeRef, conn: Tx, principal: Reader) -> Response:
    payload = await service.payload_of(conn, principal, code)
    return Response(qr.render_png(payload), media_type="image/png")


@router.get("/v1/codes/{code:path}/qr.svg", response_class=Response)
async def code_qr_svg(code: CodeRef, conn: Tx, principal: Reader) -> Response:
    payload = await service.payload_of(conn, principal, code)
    return Response(qr.render_svg(payload), media_type="image/svg+xml")


@router.get("/.well-known/sealtrace/keys.json", response_model=KeysDocument)
async def public_keys(request: Request, store: Keys) -> dict[str, Any]:
    """Public brand keys for offline verification (no token needed)."""
    await store.refresh(get_pool(request), max_age_s=0)
    return service.keys_document(store)
