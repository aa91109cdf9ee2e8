"""API types of code issuing."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from codegen.models import Level
from traceability.identifiers import CLIENT_ID_PATTERN


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gtin: Annotated[str, Field(min_length=1, max_length=14)]
    lot: Annotated[str, Field(min_length=1, max_length=20)]
    level: Level = Level.ITEM
    count: Annotated[int, Field(ge=1, le=1_000_000, strict=True)]
    expiry: date | None = None
    plant_id: Annotated[
        str | None,
        Field(
            pattern=CLIENT_ID_PATTERN,
            description="Admin tokens name the issuing plant; line tokens use their own.",
        ),
    ] = None


class BatchOut(BaseModel):
    batch_id: uuid.UUID
    gtin: str
    lot: str
    level: Level
    count: int
    expiry: date | None
    plant_id: str
    created_at: datetime
    revoked: bool = False


class PublicKey(BaseModel):
    kid: str
    alg: str
    public_key: str
    status: str
    not_before: datetime
    not_after: datetime | None = None


class KeysDocument(BaseModel):
    keys: list[PublicKey]


MAX_INNER_CODES = 2_000
"""Per request: 2,000 entries with printed payloads fit the 1 MiB body limit."""


class InnerCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[
        str, Field(min_length=1, max_length=600, description="Canonical code or its payload")
    ]
    pin: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="The inner code as printed: 6 to 32 letters or digits; spaces, "
            "hyphens and case do not matter.",
        ),
    ]


class InnerCodesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inner_codes: Annotated[list[InnerCodeIn], Field(min_length=1, max_length=MAX_INNER_CODES)]


class InnerCodesOut(BaseModel):
    stored: int = Field(description="Codes whose inner code was stored now.")
    unchanged: int = Field(description="Codes that had this very inner code already.")
