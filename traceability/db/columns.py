"""What column types give back, for rows built in Python that must equal rows read back."""

from __future__ import annotations

import os
import struct
import threading
import uuid
from collections.abc import Iterable

import orjson
from asyncpg.pgproto.pgproto import UUID as PgUUID


def float4(value: float | None) -> float | None:
    """What a `real` column gives back for `value`."""
    return None if value is None else float(struct.unpack("f", struct.pack("f", value))[0])


def db_uuid(value: uuid.UUID) -> uuid.UUID:
    """`value` as asyncpg's own uuid type, which rows read back carry: equal and hashing
    alike, and turned into text about eight times faster (the rules do that often)."""
    return PgUUID(value.bytes)


_IDS_PER_READ = 256


class _RandomIds:
    """Random bytes for ids, read from the OS 4 KiB at a time instead of 16 bytes per id (a
    system call per consumer check). Thread-safe; a forked child starts afresh, so no two
    processes ever hand out the same bytes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bytes = b""
        self._next = 0
        os.register_at_fork(after_in_child=self.forget)

    def forget(self) -> None:
        """In a forked child: a fresh lock too (a thread of the parent may have held it)."""
        self._lock = threading.Lock()
        self._bytes, self._next = b"", 0

    def take16(self) -> bytearray:
        with self._lock:
            if self._next >= len(self._bytes):
                self._bytes, self._next = os.urandom(16 * _IDS_PER_READ), 0
            start = self._next
            self._next = start + 16
            return bytearray(self._bytes[start : start + 16])


_random_ids = _RandomIds()


def new_db_uuid() -> uuid.UUID:
    """A random (version 4) uuid as `db_uuid` gives it, without building a `uuid.UUID`
    first (a few µs of pure Python on every consumer check)."""
    raw = _random_ids.take16()
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return PgUUID(bytes(raw))


def json_list(values: Iterable[str]) -> str:
    """A list parameter as JSON text, for `ANY(ARRAY(SELECT jsonb_array_elements_text(
    $n::text::jsonb)))`: asyncpg encodes a `text[]` parameter element by element in Python
    (0.45 against 0.10 µs of client CPU per element, 1,000 codes, docs/decisions.md)."""
    return orjson.dumps(list(values)).decode()
