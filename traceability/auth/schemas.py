"""API types for tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from traceability.auth.models import Role
from traceability.identifiers import CLIENT_ID_PATTERN

ClientId = Annotated[str, Field(pattern=CLIENT_ID_PATTERN, min_length=1, max_length=64)]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    name: ClientId
    party_id: ClientId | None = None


class TokenCreated(BaseModel):
    id: uuid.UUID
    token: str = Field(description="The secret; shown only once.")
    role: Role
    name: str
    party_id: str | None
    created_at: datetime
