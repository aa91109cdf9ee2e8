"""Use cases for tokens: create, authenticate, revoke."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from traceability.auth import repository
from traceability.auth.cache import PrincipalCache, bearer_key
from traceability.auth.models import PARTY_BOUND_ROLES, Principal, Role
from traceability.auth.secrets import new_token, secret_matches, split_token
from traceability.errors import InvalidInput, NotAuthenticated, NotFound


@dataclass(frozen=True)
class IssuedToken:
    id: uuid.UUID
    token: str
    role: Role
    name: str
    party_id: str | None
    created_at: datetime


async def create_token(
    conn: asyncpg.Connection, role: Role, name: str, party_id: str | None
) -> IssuedToken:
    if role in PARTY_BOUND_ROLES and party_id is None:
        raise InvalidInput(
            f"a {role.value} token requires party_id",
            errors=[{"loc": ["body", "party_id"], "msg": "required for this role"}],
        )
    if role not in PARTY_BOUND_ROLES and party_id is not None:  # api.md: bound to no party
        raise InvalidInput(
            f"a {role.value} token is bound to no party",
            errors=[{"loc": ["body", "party_id"], "msg": "not allowed for this role"}],
        )
    if party_id is not None:
        kind = await repository.party_kind(conn, party_id)
        if kind is None:
            raise InvalidInput(
                f"party {party_id!r} does not exist",
                errors=[{"loc": ["body", "party_id"], "msg": "unknown party"}],
            )
        if role is Role.LINE and kind != "plant":
            raise InvalidInput(
                "a line token must be bound to a plant",
                errors=[{"loc": ["body", "party_id"], "msg": "not a plant"}],
            )
    token_id, token, secret_hash = new_token()
    row = await repository.insert_token(conn, token_id, name, role.value, party_id, secret_hash)
    return IssuedToken(token_id, token, role, name, party_id, row["created_at"])


async def authenticate(conn: asyncpg.Connection, bearer: str) -> Principal:
    parts = split_token(bearer)
    if parts is None:
        raise NotAuthenticated("The bearer token is malformed.")
    token_id, secret = parts
    rows = await repository.get_active_tokens(conn, [token_id])
    return _principal(rows.get(token_id), secret)


async def authenticate_many(
    conn: asyncpg.Connection, bearers: list[str], cache: PrincipalCache | None = None
) -> list[Principal | NotAuthenticated]:
    """Many tokens in one query (group commit); each answer is a principal or its error.

    A group usually carries a few tokens many times over: each distinct one is checked once,
    and not at all while `cache` still holds it (traceability/auth/cache.py).
    """
    answers: dict[str, Principal | str] = {}  # a principal, or why the token is refused
    keys: dict[str, bytes] = {}
    distinct = set(bearers)
    if cache is not None:
        for bearer in distinct:
            keys[bearer] = bearer_key(bearer)
            if (known := cache.get(keys[bearer])) is not None:
                answers[bearer] = known
    parts = {bearer: split_token(bearer) for bearer in distinct if bearer not in answers}
    ids = sorted({p[0] for p in parts.values() if p is not None})
    rows = await repository.get_active_tokens(conn, ids) if ids else {}
    for bearer, part in parts.items():
        if part is None:
            answers[bearer] = "The bearer token is malformed."
            continue
        try:
            answers[bearer] = principal = _principal(rows.get(part[0]), part[1])
        except NotAuthenticated as exc:
            answers[bearer] = exc.detail
            continue
        if cache is not None:
            cache.put(keys[bearer], principal)
    # Each refused job gets an error of its own: one exception raised in many tasks would
    # collect all their tracebacks.
    return [
        NotAuthenticated(a) if isinstance(a, str) else a
        for a in (answers[bearer] for bearer in bearers)
    ]


def _principal(row: asyncpg.Record | None, secret: str) -> Principal:
    if row is None or not secret_matches(secret, row["secret_hash"]):
        raise NotAuthenticated("The bearer token is unknown or revoked.")
    return Principal(
        token_id=row["id"],
        name=row["name"],
        role=Role(row["role"]),
        party_id=row["party_id"],
        party_kind=row["party_kind"],
    )


async def revoke(
    conn: asyncpg.Connection, token_id: uuid.UUID, cache: PrincipalCache | None = None
) -> None:
    if cache is not None:
        cache.forget(token_id)
    revoked_now = await repository.revoke_token(conn, token_id)
    if not revoked_now and not await repository.token_exists(conn, token_id):
        raise NotFound(f"token {token_id} does not exist")
