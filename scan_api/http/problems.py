"""Render every error, ours and the framework's, as RFC 9457 application/problem+json."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from traceability.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://sealtrace.dev/problems/"

_HTTP_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("not-authenticated", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-input", "Invalid input"),
    429: ("rate-limited", "Too many requests"),
    503: ("unavailable", "Service unavailable"),
}

# Connection-level failures mean the database is down or restarting: tell clients to retry.
DATABASE_DOWN = (
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.InterfaceError,
    # The server dropped an idle pooled connection (e.g. fast shutdown): the connection is still
    # consuming that error when it is handed out, and the next query fails client-side with
    # "cannot switch to state ...; another operation (2) is in progress". Nothing was sent.
    asyncpg.exceptions.InternalClientError,
    ConnectionError,
    OSError,
    TimeoutError,
)


# Two transactions that wanted each other's rows: PostgreSQL aborted one. Nothing of it was
# stored, and the same request succeeds when sent again (scans are idempotent by event_id).
CONFLICTED = (
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)


class ProblemOut(BaseModel):
    """An RFC 9457 problem (application/problem+json), as every error is answered."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Each invalid field: `loc` (path), `msg`, `type`."
    )


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    },
}


def problem_responses(**described: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problems a route answers: `e401="why"`, … Status codes
    429 and 503 carry Retry-After."""
    responses: dict[int | str, dict[str, Any]] = {}
    for key, description in described.items():
        status = int(key.removeprefix("e"))
        entry: dict[str, Any] = {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": ProblemOut.model_json_schema()}},
        }
        if status in (429, 503):
            entry["headers"] = _RETRY_AFTER
        responses[status] = entry
    return responses


def problem_body(
    status: int,
    type_slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The RFC 9457 document; also embedded per item in batch answers."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body


def domain_problem(exc: DomainError) -> dict[str, Any]:
    return problem_body(exc.status, exc.type_slug, exc.title, exc.detail, exc.errors, exc.extra)


def validation_problem(raw_errors: Sequence[Any], prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    """422 for pydantic errors; `prefix` is put before each loc but not in the detail."""
    errors = [
        {"loc": [*prefix, *_clean_loc(e.get("loc", ()))], "msg": str(e.get("msg", ""))}
        for e in raw_errors
    ]
    first = errors[0] if errors else {"loc": list(prefix), "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"][len(prefix) :])
    detail = f"{where}: {first['msg']}" if where else str(first["msg"])
    return problem_body(422, "invalid-input", "Invalid input", detail, errors)


def problem_response(
    status: int,
    type_slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body = problem_body(status, type_slug, title, detail, errors, extra)
    return _as_response(body, headers)


def _as_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body, status_code=body["status"], headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


def _clean_loc(loc: Any) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in loc]


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return _as_response(domain_problem(exc), exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _as_response(validation_problem(exc.errors()))


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _HTTP_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(exc.status_code, slug, title, detail, headers=headers)


def _retry_later(
    why: str, detail: str, seconds: int
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """A 503 with Retry-After for failures that a later identical request gets past."""

    async def answer(_: Request, exc: Exception) -> JSONResponse:
        log.warning("%s: %s", why, exc.__class__.__name__)
        headers = {"Retry-After": str(seconds)}
        return problem_response(503, "unavailable", "Service unavailable", detail, headers=headers)

    return answer


_database_down = _retry_later(
    "database unavailable", "The database is unavailable; retry shortly.", 2
)
_conflicted = _retry_later(
    "transaction aborted by a concurrent one",
    "A concurrent write conflicted with this request; nothing was stored. Send it again.",
    1,
)


UNSTORABLE_TEXT = (
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.exceptions.UntranslatableCharacterError,
)
"""What PostgreSQL says of text it cannot hold (a NUL byte, a lone surrogate). Body fields are
refused before any query (`traceability.text`); this catches the query parameters and
cursors that reach a query as they are. Nothing is stored: the request's transaction ends."""


async def _unstorable_text(_: Request, exc: Exception) -> JSONResponse:
    detail = "Text in the request contains a NUL character or invalid Unicode."
    return problem_response(422, "invalid-input", "Invalid input", detail)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(500, "internal", "Internal error", "An unexpected error occurred.")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for exc_type in DATABASE_DOWN:
        app.add_exception_handler(exc_type, _database_down)
    for conflict in CONFLICTED:
        app.add_exception_handler(conflict, _conflicted)
    for unstorable in UNSTORABLE_TEXT:
        app.add_exception_handler(unstorable, _unstorable_text)
    app.add_exception_handler(Exception, _unexpected)
