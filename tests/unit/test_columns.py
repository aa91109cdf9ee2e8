"""Values built in Python exactly as PostgreSQL columns give them back."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

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


def test_new_db_uuid_is_unique_across_threads_and_forked_processes() -> None:
    """Ids come from a buffer of random bytes (traceability/db/columns.py): threads never
    share a slice of it, and a forked child never hands out what its parent will."""
    new_db_uuid()  # the parent's buffer now holds the bytes of its next ids
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child process)
        os.write(write, new_db_uuid().bytes)
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 16) != new_db_uuid().bytes
    os.close(read)
    os.close(write)

    made: list[uuid.UUID] = []
    with ThreadPoolExecutor(8) as pool:
        for ids in pool.map(lambda _: [new_db_uuid() for _ in range(2_000)], range(8)):
            made.extend(ids)
    assert len(set(made)) == len(made) == 16_000
