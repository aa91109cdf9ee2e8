"""Use cases: load a code's custody, show its trace to who may see it, answer "did X hold it"."""

from __future__ import annotations

from typing import Any

import asyncpg

from codegen.service import code_from_reference
from traceability.auth.models import Principal, Role
from traceability.custody import repository
from traceability.custody.chain import build_custody, event_of, involved, membership_of
from traceability.custody.models import MAX_DEPTH, CodeInfo, Custody, code_status
from traceability.errors import Forbidden, NotFound


def _info(row: Any) -> CodeInfo:
    return CodeInfo(
        code=row["code"],
        level=row["level"],
        gtin=row["gtin"],
        lot=row["lot"],
        status=code_status(row["commissioned_at"] is not None, row["batch_revoked_at"] is not None),
        plant_id=row["plant_id"],
        parent=row["parent_code"],
        children_count=int(row["children_count"]),
    )


async def custody_of(conn: asyncpg.Connection, code: str) -> Custody | None:
    """The custody of a canonical code; None when the code was never issued."""
    row = await repository.code_row(conn, code)
    if row is None:
        return None
    memberships = [
        membership_of(r) for r in await repository.containment_history(conn, code, MAX_DEPTH)
    ]
    codes = sorted({code, *(m.parent for m in memberships)})
    events = [event_of(r) for r in await repository.events_of(conn, codes)]
    return build_custody(_info(row), events, memberships)


# api.md "Roles": the trace is for admin, compliance, and logistics (codes its party held).
# A line token issues and commissions codes; where they went (dealers, consumers' fixes) is
# not its business.
TRACE_ROLES = frozenset({Role.ADMIN, Role.COMPLIANCE, Role.LOGISTICS})


def may_see(principal: Principal, custody: Custody) -> bool:
    """Admin and compliance see every code; logistics what its party held."""
    if principal.role in (Role.ADMIN, Role.COMPLIANCE):
        return True
    if principal.role is Role.LOGISTICS and principal.party_id is not None:
        return involved(principal.party_id, custody.events)
    return False


async def trace(conn: asyncpg.Connection, principal: Principal, code: str) -> Custody:
    """`code`: canonical code or payload. A role without traces → Forbidden; unknown or not
    visible to the caller → NotFound (so a logistics token cannot probe which codes exist)."""
    if principal.role not in TRACE_ROLES:
        raise Forbidden(f"a {principal.role.value} token may not read traces")
    custody = await custody_of(conn, code_from_reference(code))
    if custody is None or not may_see(principal, custody):
        raise NotFound("no such code")
    if principal.role is Role.LOGISTICS:  # a dealer sees where its goods went, not consumers
        return custody.with_consumer_places_coarse()
    return custody


async def held_by(conn: asyncpg.Connection, party_id: str, code: str) -> bool:
    """Did `party_id` hold `code` (canonical): a custodian, or it scanned the code or a container
    of it while the code was inside."""
    custody = await custody_of(conn, code)
    return custody is not None and involved(party_id, custody.events)
