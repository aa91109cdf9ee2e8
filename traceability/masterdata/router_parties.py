"""HTTP: parties, their sanctions (suspension, blacklist) and their sales territories."""

from __future__ import annotations

from fastapi import APIRouter, Response

from scan_api.http.deps import AdminOnly, ComplianceOrAdmin, Tx
from scan_api.http.pagination import Cursor, Limit, Page
from traceability.masterdata import service
from traceability.masterdata.models import PartyKind
from traceability.masterdata.router_common import (
    PartyIdPath,
    TerritoryIdPath,
    id_cursor,
    int_cursor,
    next_cursor,
    put_responses,
    put_status,
)
from traceability.masterdata.schemas import (
    AuthorizationOut,
    AuthorizationPut,
    PartyOut,
    PartyPut,
    SanctionIn,
    SanctionOut,
)

router = APIRouter(prefix="/v1/parties", tags=["master data"])


@router.put(
    "/{party_id}",
    response_model=PartyOut,
    responses=put_responses(PartyOut),
    summary="Create or replace a party",
)
async def put_party(
    party_id: PartyIdPath, body: PartyPut, conn: Tx, _: AdminOnly, response: Response
) -> PartyOut:
    """An unknown `parent_id`, or one that would make a cycle, is a 422.
    Suspension and blacklist state are not changed by a PUT."""
    result = await service.put_party(
        conn,
        party_id,
        body.kind,
        body.name,
        body.parent_id,
        body.location.lat,
        body.location.lon,
    )
    put_status(response, result)
    return PartyOut.of(result.value)


@router.get("/{party_id}", response_model=PartyOut, summary="Get a party")
async def get_party(party_id: PartyIdPath, conn: Tx, _: ComplianceOrAdmin) -> PartyOut:
    return PartyOut.of(await service.get_party(conn, party_id))


@router.get("", response_model=Page[PartyOut], summary="List parties by id")
async def list_parties(
    conn: Tx,
    _: ComplianceOrAdmin,
    kind: PartyKind | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[PartyOut]:
    chunk = await service.list_parties(conn, kind, id_cursor(cursor), limit)
    items = [PartyOut.of(p) for p in chunk.items]
    last = items[-1].id if items else None
    return Page[PartyOut](items=items, next_cursor=next_cursor(chunk.has_more, last))


# ---------------------------------------------------------------- sanctions


@router.post(
    "/{party_id}/suspension",
    response_model=PartyOut,
    summary="Suspend a party (circuit breaker)",
)
async def suspend_party(
    party_id: PartyIdPath, body: SanctionIn, conn: Tx, principal: ComplianceOrAdmin
) -> PartyOut:
    """Shipments (`ship`, `dealer_ship`) to the party are refused with 409 until the suspension
    is lifted. Suspending a suspended party changes nothing and returns it (200)."""
    return PartyOut.of(await service.suspend(conn, party_id, body.reason, principal.audit))


@router.delete(
    "/{party_id}/suspension",
    response_model=PartyOut,
    summary="Lift a party's suspension",
    responses={409: {"description": "The party is not suspended, or is blacklisted."}},
)
async def lift_suspension(
    party_id: PartyIdPath, conn: Tx, principal: ComplianceOrAdmin
) -> PartyOut:
    """Returns 200 with the updated party (not 204). A blacklisted party stays suspended (409)."""
    return PartyOut.of(await service.lift_suspension(conn, party_id, principal.audit))


@router.post("/{party_id}/blacklist", response_model=PartyOut, summary="Blacklist a party")
async def blacklist_party(
    party_id: PartyIdPath, body: SanctionIn, conn: Tx, principal: ComplianceOrAdmin
) -> PartyOut:
    """Blacklisting also suspends the party, permanently: its suspension cannot be lifted.
    Blacklisting a blacklisted party changes nothing and returns it (200)."""
    return PartyOut.of(await service.blacklist(conn, party_id, body.reason, principal.audit))


@router.get(
    "/{party_id}/sanctions",
    response_model=Page[SanctionOut],
    summary="A party's sanction history (suspend, lift, blacklist), oldest first",
)
async def list_sanctions(
    party_id: PartyIdPath,
    conn: Tx,
    _: ComplianceOrAdmin,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[SanctionOut]:
    chunk = await service.list_sanctions(conn, party_id, int_cursor(cursor), limit)
    items = [SanctionOut.of(s) for s in chunk.items]
    last = items[-1].id if items else None
    return Page[SanctionOut](items=items, next_cursor=next_cursor(chunk.has_more, last))


# ---------------------------------------------------------------- authorizations


@router.put(
    "/{party_id}/territories/{territory_id}",
    response_model=AuthorizationOut,
    responses=put_responses(AuthorizationOut),
    summary="Authorize a party to sell in a territory",
)
async def put_authorization(
    party_id: PartyIdPath,
    territory_id: TerritoryIdPath,
    conn: Tx,
    _: AdminOnly,
    response: Response,
    body: AuthorizationPut | None = None,
) -> AuthorizationOut:
    """`gtins` absent or null (or no body at all): every product. Each GTIN must be a
    registered product. 404 when the party or the territory does not exist."""
    gtins = None if body is None else body.gtins
    result = await service.put_authorization(conn, party_id, territory_id, gtins)
    put_status(response, result)
    return AuthorizationOut.of(result.value)


@router.get(
    "/{party_id}/territories/{territory_id}",
    response_model=AuthorizationOut,
    summary="Get a party's authorization for a territory",
)
async def get_authorization(
    party_id: PartyIdPath, territory_id: TerritoryIdPath, conn: Tx, _: ComplianceOrAdmin
) -> AuthorizationOut:
    return AuthorizationOut.of(await service.get_authorization(conn, party_id, territory_id))


@router.delete(
    "/{party_id}/territories/{territory_id}",
    status_code=204,
    summary="Revoke a party's authorization for a territory",
)
async def revoke_authorization(
    party_id: PartyIdPath, territory_id: TerritoryIdPath, conn: Tx, _: AdminOnly
) -> Response:
    await service.revoke_authorization(conn, party_id, territory_id)
    return Response(status_code=204)


@router.get(
    "/{party_id}/territories",
    response_model=Page[AuthorizationOut],
    summary="A party's territory authorizations",
)
async def list_authorizations(
    party_id: PartyIdPath,
    conn: Tx,
    _: ComplianceOrAdmin,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[AuthorizationOut]:
    chunk = await service.list_authorizations(conn, party_id, id_cursor(cursor), limit)
    items = [AuthorizationOut.of(a) for a in chunk.items]
    last = items[-1].territory_id if items else None
    return Page[AuthorizationOut](items=items, next_cursor=next_cursor(chunk.has_more, last))
