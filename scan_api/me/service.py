"""Use cases of /v1/me."""

from __future__ import annotations

import asyncpg

from scan_api.me import repository
from scan_api.me.models import Me, PartyRef, checkpoints_of
from traceability.auth.models import Principal, Role
from traceability.errors import Forbidden


async def whoami(conn: asyncpg.Connection, principal: Principal) -> Me:
    party = None
    if principal.party_id is not None:
        party = await repository.party(conn, principal.party_id)
    return Me(principal=principal, party=party, checkpoints=checkpoints_of(principal))


async def ship_targets(
    conn: asyncpg.Connection,
    principal: Principal,
    query: str | None,
    after: str | None,
    limit: int,
) -> tuple[list[PartyRef], bool]:
    """Consignees for ship / dealer_ship: dealers and retailers that are not suspended.

    Every party may be named (a shipment out of territory is evidence, not a form error);
    the caller's own party is left out. The line role ships nothing: 403.
    """
    if principal.role is Role.LINE:
        raise Forbidden("the line role does not ship; ship targets are for logistics tokens")
    rows = await repository.ship_targets(conn, principal.party_id, query, after, limit + 1)
    return rows[:limit], len(rows) > limit
