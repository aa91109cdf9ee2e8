"""HTTP helpers shared by the master-data routers: path ids, cursors, PUT statuses."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path, Response
from pydantic import AfterValidator

from scan_api.http.pagination import decode_cursor, decode_str_cursor, encode_cursor
from traceability.errors import InvalidInput
from traceability.identifiers import CLIENT_ID_PATTERN
from traceability.masterdata.models import Upserted

_ID_DOC = "Client-chosen id: 1-64 characters of A-Z a-z 0-9 . _ -, not only dots"


def _not_only_dots(value: str) -> str:
    """`.` and `..` are URL dot-segments: clients that normalise URLs (most do) could never
    reach such a party again. Lots refuse them for the same reason."""
    if not value.strip("."):
        raise ValueError("an id made only of dots is a URL dot-segment")
    return value


PartyIdPath = Annotated[
    str, Path(pattern=CLIENT_ID_PATTERN, description=_ID_DOC), AfterValidator(_not_only_dots)
]
TerritoryIdPath = Annotated[
    str, Path(pattern=CLIENT_ID_PATTERN, description=_ID_DOC), AfterValidator(_not_only_dots)
]
GtinPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="GTIN-8, -12, -13 or -14 with a valid check digit (normalized to GTIN-14).",
    ),
]

_CLIENT_ID = re.compile(CLIENT_ID_PATTERN)
_GTIN14 = re.compile(r"^[0-9]{14}$")
_BIGINT_MAX = 2**63 - 1


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        "cursor is not valid", errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor"}]
    )


def id_cursor(cursor: str | None) -> str | None:
    """The client id a cursor continues after (ids are plain ASCII, safe to send to SQL)."""
    key = decode_str_cursor(cursor)
    if key is not None and not _CLIENT_ID.fullmatch(key):
        raise _bad_cursor()
    return key


def gtin_cursor(cursor: str | None) -> str | None:
    key = decode_str_cursor(cursor)
    if key is not None and not _GTIN14.fullmatch(key):
        raise _bad_cursor()
    return key


def int_cursor(cursor: str | None) -> int | None:
    key: Any = decode_cursor(cursor)
    if key is None:
        return None
    if not isinstance(key, int) or isinstance(key, bool) or not 0 <= key <= _BIGINT_MAX:
        raise _bad_cursor()
    return key


def next_cursor(has_more: bool, last_key: Any) -> str | None:
    return encode_cursor(last_key) if has_more else None


def put_status(response: Response, result: Upserted[Any]) -> None:
    """201 when the PUT created the resource, 200 when it replaced it."""
    response.status_code = 201 if result.created else 200


def put_responses(model: type[Any]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": "Replaced an existing resource."},
        201: {"model": model, "description": "Created a new resource."},
    }
