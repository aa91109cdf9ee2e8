"""Keyset pagination: `?limit=&cursor=` → `{"items", "next_cursor"}`; the cursor is opaque."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import AfterValidator, BaseModel

from traceability.errors import InvalidInput

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=1000, description="Page size, 1-1000.")]
Cursor = Annotated[str | None, Query(max_length=512, description="From the previous page.")]


def in_utc(value: datetime | None) -> datetime | None:
    """UTC when no offset is given. A time that has no UTC equivalent (year 1 or 9999 with a
    large offset) is refused here: PostgreSQL would refuse it as a 500."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=value.tzinfo or UTC).astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("time out of range") from exc


Since = Annotated[
    datetime | None,
    AfterValidator(in_utc),
    Query(description="From this time on (RFC 3339; UTC when no offset is given)."),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidInput(
            "cursor is not valid", errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor"}]
        ) from exc


def decode_str_cursor(cursor: str | None) -> str | None:
    key = decode_cursor(cursor)
    if key is not None and not isinstance(key, str):
        raise InvalidInput("cursor is not valid")
    return key
