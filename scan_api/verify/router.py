"""HTTP: POST /v1/verify — anonymous consumer verification (no token), rate limited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from codegen.router import Keys
from risk_engine.models import GeoFix
from scan_api.http.deps import Tx
from scan_api.verify import service
from scan_api.verify.ratelimit import TokenBucket, retry_after_s
from scan_api.verify.schemas import VerifyIn, VerifyOut
from scan_api.verify.service import RegionCache, VerifyPolicy, VerifyRequest
from traceability.config import Settings
from traceability.errors import RateLimited

router = APIRouter(prefix="/v1/verify", tags=["consumer"])
STATE_ATTR = "consumer_verify"


@dataclass(slots=True)
class VerifyState:
    """Per-process state of the endpoint: rate limiters, the region cache, the policy."""

    per_address: TokenBucket | None
    per_consumer: TokenBucket | None
    regions: RegionCache
    policy: VerifyPolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> VerifyState:
        return cls(
            per_address=TokenBucket.per_minute(settings.verify_rate_per_address_per_min),
            per_consumer=TokenBucket.per_minute(settings.verify_rate_per_consumer_per_min),
            regions=RegionCache(),
            policy=VerifyPolicy.from_settings(settings),
        )


def install(app: FastAPI, settings: Settings) -> VerifyState:
    """Create (or replace) the endpoint's state; otherwise it is created on first use."""
    state = VerifyState.from_settings(settings)
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


async def limited_by_address(request: Request) -> VerifyState:
    """Runs before the body is read or a connection taken: floods cost next to nothing."""
    state = verify_state(request)
    _limit(state.per_address, request.client.host if request.client else "-", "address")
    return state


State = Annotated[VerifyState, Depends(limited_by_address)]


@router.post("", response_model=VerifyOut)
async def post_verify(
    state: State, body: VerifyIn, conn: Tx, store: Keys, http_request: Request
) -> Any:
    """Is this product genuine? Records a `consumer_verify` event; may pay loyalty points."""
    if body.consumer_id is not None:
        _limit(state.per_consumer, body.consumer_id, "consumer")
    loc = body.location
    request = VerifyRequest(
        payload=body.payload,
        location=GeoFix(loc.lat, loc.lon, loc.accuracy_m or 0.0) if loc else None,
        consumer_id=body.consumer_id,
        pin=body.pin,
    )
    answer = await service.verify_code(
        conn, store, state.regions, state.policy, request, risk=http_request.app.state.risk
    )
    return JSONResponse(answer)  # byte for byte what is stored as the event's response
