"""HTTP: POST /v1/scans and POST /v1/scans/batch (line and logistics tokens)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError

from codegen.router import Keys
from scan_api.http.deps import CurrentPrincipal, Tx, bearer_token
from scan_api.http.lean import LeanRoute, OrjsonBodyRoute
from scan_api.http.media import is_json, require_json, utf8_json
from scan_api.http.problems import domain_problem, problem_responses, validation_problem
from scan_api.scans import service
from scan_api.scans.batcher import ScanJob
from scan_api.scans.models import Outcome, ScanRequest
from scan_api.scans.schemas import BatchIn, BatchOut, ScanIn, ScanOut
from traceability.auth import service as auth_service
from traceability.auth.models import Principal, Role
from traceability.db.group_commit import GroupCommit
from traceability.db.pool import connection
from traceability.errors import Forbidden

router = APIRouter(prefix="/v1/scans", tags=["scans"], route_class=OrjsonBodyRoute)


class ScanRoute(LeanRoute):
    """A request without a bearer token is refused (401) before the route reads its body (a
    chunked body has been read up to the size limit by then), as the batch endpoint's
    dependency refuses it; the token itself is checked in the group."""

    def guard(self, request: Request) -> None:
        bearer_token(request)

    async def before_reading_body(self, request: Request) -> None:
        """A body not sent as JSON is a 415, after the token: a bad one is a 401 first."""
        if not is_json(request):
            await self.before_refusing_body(request)
            require_json(request, "scan")

    async def before_refusing_body(self, request: Request) -> None:
        """A bad token is a 401 whatever the body (api.md), as on the batch endpoint: checked
        here only when the body is refused, since valid scans check it in their group."""
        pool = request.app.state.pool
        async with connection(pool, request.app.state.settings.db_acquire_timeout_s) as conn:
            await auth_service.authenticate(conn, bearer_token(request))


# The hot path: served by a lean handler (scan_api/http/lean.py), documented like the rest.
hot = APIRouter(prefix="/v1/scans", tags=["scans"], route_class=ScanRoute)


def check_scanner(principal: Principal) -> None:
    """Scans are made as a party: only party-bound line and logistics tokens scan."""
    if principal.role not in (Role.LINE, Role.LOGISTICS):
        raise Forbidden("scans need a line or logistics token bound to a party")


async def scanner(principal: CurrentPrincipal) -> Principal:
    check_scanner(principal)
    return principal


Scanner = Annotated[Principal, Depends(scanner)]


async def json_batch(request: Request) -> None:
    require_json(request, "batch")
    utf8_json(await request.body())  # as the single endpoint reads it (scan_api/http/media.py)


@hot.post(
    "",
    status_code=201,
    response_model=ScanOut,
    responses={
        200: {"model": ScanOut, "description": "A retry of a stored event_id"},
        **problem_responses(
            e401="No bearer token, or a bad one.",
            e403="The token's role or party may not scan at this checkpoint, or not this code.",
            e409="`to_party_id` is suspended (`reason`: party_suspended, `suspension_reason`), "
            "or `event_id` is another party's scan or a different scan.",
            e413="The body is over 1 MiB.",
            e415="The body is not sent as application/json.",
            e503="The database is unavailable, or too many writes are waiting: retry.",
        ),
    },
)
async def post_scan(body: ScanIn, request: Request) -> Response:
    """Group-committed with concurrent scans (see batcher.py): answered after COMMIT."""
    batcher: GroupCommit[ScanJob, Outcome] = request.app.state.scan_batcher
    outcome = await batcher.submit(ScanJob(body, bearer_token(request), check_scanner))
    if outcome.error is not None:
        raise outcome.error
    status = 201 if outcome.status == "created" else 200
    return Response(orjson.dumps(outcome.response), status, media_type="application/json")


def _raw_event_id(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    try:
        return str(uuid.UUID(str(raw.get("event_id"))))
    except ValueError:
        return None


def _result(outcome: Outcome) -> dict[str, Any]:
    event_id = outcome.event_id  # a uuid.UUID: orjson writes it, faster than str() here
    if outcome.error is not None:
        return {"event_id": event_id, "status": "rejected", "error": domain_problem(outcome.error)}
    r = outcome.response
    return {
        "event_id": event_id,
        "status": outcome.status,
        "code": r.get("code"),
        "verdict": r.get("verdict"),
        "reason": r.get("reason"),  # why suspicious or counterfeit, as POST /v1/scans says
        "alert_ids": r.get("alert_ids", []),
    }


_SCAN_LIST = TypeAdapter(list[ScanIn])


def _validated(
    raws: list[Any], principal: Principal, results: list[dict[str, Any] | None]
) -> list[tuple[int, ScanRequest]]:
    """Validate every scan; a bad one gets its rejection in `results`, the rest go on."""
    try:  # the usual case, a clean upload: one validator call for the whole list
        scans = _SCAN_LIST.validate_python(raws)
        return [(i, ScanRequest(scan, principal)) for i, scan in enumerate(scans)]
    except ValidationError:
        pass
    valid: list[tuple[int, ScanRequest]] = []
    for index, raw in enumerate(raws):
        try:
            valid.append((index, ScanRequest(ScanIn.model_validate(raw), principal)))
        except ValidationError as exc:
            results[index] = {
                "event_id": _raw_event_id(raw),
                "status": "rejected",
                "error": validation_problem(exc.errors(), prefix=("body",)),
            }
    return valid


@router.post(
    "/batch",
    response_model=BatchOut,
    responses=problem_responses(
        e401="No bearer token, or a bad one.",
        e403="The token's role may not scan.",
        e413="The body is over 1 MiB.",
        e415="The body is not sent as application/json.",
        e503="The database is unavailable: retry the whole batch (retries are idempotent).",
    ),
)
async def post_batch(
    principal: Scanner,
    _json: Annotated[None, Depends(json_batch)],
    body: BatchIn,
    conn: Tx,
    store: Keys,
    request: Request,
) -> Response:
    """Up to 1,000 scans; a bad scan is rejected alone with its reason, the rest are stored."""
    results: list[dict[str, Any] | None] = [None] * len(body.scans)
    valid = _validated(body.scans, principal, results)
    risk = request.app.state.risk
    outcomes = await service.record_scans(conn, store, [r for _, r in valid], risk)
    for (index, _), outcome in zip(valid, outcomes, strict=True):
        results[index] = _result(outcome)
    # Serialized once with orjson: the shape is BatchOut (documented), built as plain dicts.
    body_out = orjson.dumps({"results": [r for r in results if r is not None]})
    return Response(body_out, media_type="application/json")
