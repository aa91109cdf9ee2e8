"""HTTP: POST /v1/tokens, DELETE /v1/tokens/{id} (admin)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from starlette.background import BackgroundTask

from scan_api.http.deps import AdminOnly, Tx
from traceability.auth import service
from traceability.auth.schemas import TokenCreate, TokenCreated

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


@router.post("", status_code=201, response_model=TokenCreated)
async def create_token(body: TokenCreate, conn: Tx, _: AdminOnly) -> TokenCreated:
    issued = await service.create_token(conn, body.role, body.name, body.party_id)
    return TokenCreated(
        id=issued.id,
        token=issued.token,
        role=issued.role,
        name=issued.name,
        party_id=issued.party_id,
        created_at=issued.created_at,
    )


@router.delete("/{token_id}", status_code=204)
async def revoke_token(token_id: uuid.UUID, conn: Tx, _: AdminOnly, request: Request) -> Response:
    """Refused by this process once this returns, within `token_cache_s` by the others."""
    cache = getattr(request.app.state, "principals", None)
    await service.revoke(conn, token_id, cache)
    # Forgotten again once the revocation is committed: a scan group that read the token
    # just before the commit may have cached it meanwhile.
    after = BackgroundTask(cache.forget, token_id) if cache is not None else None
    return Response(status_code=204, background=after)
