"""What column types give back, for rows built in Python that must equal rows read back."""

from __future__ import annotations

import struct
import uuid

from asyncpg.pgproto.pgproto import UUID as PgUUID


def float4(value: float | None) -> float | None:
    """What a `real` column gives back for `value`."""
    return None if value is None else float(struct.unpack("f", struct.pack("f", value))[0])


def db_uuid(value: uuid.UUID) -> uuid.UUID:
    """`value` as asyncpg's own uuid type, which rows read back carry: equal and hashing
    alike, and turned into text about eight times faster (the rules do that often)."""
    return PgUUID(value.bytes)
