"""Values built in Python exactly as PostgreSQL columns give them back."""

from __future__ import annotations

import uuid

from asyncpg.pgproto.pgproto import UUID as PgUUID

from traceability.db.columns import db_uuid, new_db_uuid


def test_new_db_uuid_is_a_random_version_4_uuid_of_asyncpgs_type() -> None:
    made = [new_db_uuid() for _ in range(2_000)]
    assert len(set(made)) == len(made)
    for value in made[:200]:
        assert isinstance(value, PgUUID)
        standard = uuid.UUID(str(value))
        assert standard.version == 4
        assert standard.variant == uuid.RFC_4122
        assert value == standard  # equal, and hashing alike, to the standard type
        assert hash(value) == hash(standard)
        assert db_uuid(standard) == value
