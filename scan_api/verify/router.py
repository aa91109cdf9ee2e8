"""HTTP: POST /v1/verify — anonymous consumer verification (no token), rate limited."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from codegen.keystore import KeyStore
from risk_engine.models import GeoFix
from risk_engine.territories import TerritoryCache
from scan_api.http.lean import LeanRoute
from scan_api.http.media import require_json
from scan_api.http.problems import problem_responses
from scan_api.verify import service
from scan_api.verify.decide import VerifyPolicy
from scan_api.verify.models import VerifyRequest
from scan_api.verify.networks import check_network, network_key, rate_key
from scan_api.verify.ratelimit import TokenBucket, retry_after_s
from scan_api.verify.schemas import VerifyIn, VerifyOut
from traceability.config import Settings
from traceability.db.columns import new_db_uuid
from traceability.db.group_commit import GroupCommit
from traceability.errors import RateLimited

STATE_ATTR = "consumer_verify"


@dataclass(slots=True)
class VerifyState:
    """Per-process state of the endpoint: rate limiters, the region cache, the policy."""

    per_address: TokenBucket | None
    per_consumer: TokenBucket | None
    regions: TerritoryCache
    policy: VerifyPolicy
    network_key: bytes  # checks' networks are stored hashed under it (verify/networks.py)
    batcher: GroupCommit[VerifyJob, dict[str, Any]] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, regions: TerritoryCache, store: KeyStore
    ) -> VerifyState:
        return cls(
            per_address=TokenBucket.per_minute(settings.verify_rate_per_address_per_min),
            per_consumer=TokenBucket.per_minute(settings.verify_rate_per_consumer_per_min),
            regions=regions,
            policy=VerifyPolicy.from_settings(settings, store.pin_key),
            network_key=network_key(store.master_key),
        )


def install(app: FastAPI, settings: Settings) -> VerifyState:
    """Create (or replace) the endpoint's state; otherwise it is created on first use."""
    state = VerifyState.from_settings(settings, app.state.risk.territories, app.state.keystore)
    setattr(app.state, STATE_ATTR, state)
    return state


def verify_state(request: Request) -> VerifyState:
    state: VerifyState | None = getattr(request.app.state, STATE_ATTR, None)
    if state is None:  # no await in between: one event loop, so created exactly once
        state = install(request.app, request.app.state.settings)
    return state


def _limit(bucket: TokenBucket | None, key: str, what: str) -> None:
    if bucket is None:
        return
    wait = bucket.take(key)
    if wait > 0:
        raise RateLimited(
            f"too many verifications from this {what}; retry later", retry_after_s(wait)
        )


class VerifyRoute(LeanRoute):
    """The lean hot path (scan_api/http/lean.py), limited per address before the body is read:
    floods cost next to nothing."""

    def guard(self, request: Request) -> None:
        state = verify_state(request)
        if state.per_address is not None:
            host = request.client.host if request.client else None
            _limit(state.per_address, rate_key(host), "address")
        # A form or text/plain POST needs no CORS preflight: any web page could make its
        # visitors' browsers send checks (spreading them over many addresses).
        require_json(request, "check")


router = APIRouter(prefix="/v1/verify", tags=["consumer"], route_class=VerifyRoute)


@dataclass(frozen=True, slots=True)
class VerifyJob:
    request: VerifyRequest
    event_id: uuid.UUID


def _batcher(app: Any, state: VerifyState) -> GroupCommit[VerifyJob, dict[str, Any]]:
    """Verifications are group-committed like scans; their alerts are judged per group."""
    if state.batcher is not None:
        return state.batcher
    store, risk = app.state.keystore, app.state.risk

    async def work(conn: asyncpg.Connection, jobs: Sequence[VerifyJob]) -> list[dict[str, Any]]:
        group = await service.verify_group(  # later checks see the group's earlier ones
            conn,
            store,
            state.regions,
            state.policy,
            [(j.request, j.event_id) for j in jobs],
            risk=risk,
        )
        await service.store_group(conn, group, risk)
        return group.answers

    state.batcher = GroupCommit(app.state.pool, work)
    return state.batcher


async def close(app: Any) -> None:
    state: VerifyState | None = getattr(app.state, STATE_ATTR, None)
    if state is not None and state.batcher is not None:
        await state.batcher.close()


@router.post(
    "",
    response_model=VerifyOut,
    responses=problem_responses(
        e413="The body is over 1 MiB.",
        e415="The body is not sent as application/json.",
        e429="Too many checks from this address or consumer_id lately.",
        e503="The database is unavailable, or too many checks are waiting: retry.",
    ),
)
async def post_verify(body: VerifyIn, request: Request) -> Response:
    """Is this product genuine? Records a `consumer_verify` event; may pay loyalty points."""
    state = verify_state(request)
    if body.consumer_id is not None:
        _limit(state.per_consumer, body.consumer_id, "consumer")
    loc = body.location
    check = VerifyRequest(
        payload=body.payload,
        location=GeoFix(loc.lat, loc.lon, loc.accuracy_m or 0.0) if loc else None,
        consumer_id=body.consumer_id,
        pin=body.pin,
        network=check_network(request.client.host if request.client else None, state.network_key),
    )
    job = VerifyJob(check, new_db_uuid())  # asyncpg's uuid type: its text is needed often
    answer = await _batcher(request.app, state).submit(job)
    return Response(orjson.dumps(answer), media_type="application/json")  # as stored
