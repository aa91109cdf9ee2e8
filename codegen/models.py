"""Domain types of code issuing."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from codegen.payload import Layer
from codegen.verify import KeyStatus

MAX_BATCH = 1_000_000


class Level(enum.StrEnum):
    ITEM = "item"
    CASE = "case"
    PALLET = "pallet"


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A key row with its secret unwrapped (held only in this process's memory)."""

    layer: Layer
    kid: str
    status: KeyStatus
    plant_id: str | None
    public_raw: bytes | None
    secret: bytes = field(repr=False)
    not_before: datetime
    not_after: datetime | None
    created_at: datetime

    @property
    def alg(self) -> str:
        return "Ed25519" if self.layer is Layer.BRAND else "HMAC-SHA256"

    def private_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.secret)


@dataclass(frozen=True, slots=True)
class Batch:
    id: uuid.UUID
    gtin: str
    lot: str
    level: Level
    count: int
    expiry: date | None
    plant_id: str
    created_at: datetime
    revoked_at: datetime | None = None
