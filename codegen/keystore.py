"""Key lifecycle (create, rotate, revoke) and the in-memory keyring the service verifies with."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable

import asyncpg

from codegen import repository
from codegen.inner_codes import pin_key
from codegen.keys_crypto import (
    decrypt_key_material,
    encrypt_key_material,
    generate_brand_keypair,
    generate_kid,
    generate_mac_secret,
    load_public_key,
)
from codegen.models import StoredKey
from codegen.payload import Layer
from codegen.signing import SigningKeys
from codegen.verify import Keyring, KeyStatus, VerifyKey
from traceability.errors import Conflict, InvalidInput, NotFound

KEYRING_TTL_S = 2.0
"""How stale a server's keyring may be: a key created or revoked elsewhere (the CLI, another
worker) is seen within this long. Checking every group instead costs a statement per group."""


def unwrap(row: asyncpg.Record, master_key: bytes) -> StoredKey:
    layer = Layer(row["layer"])
    secret = decrypt_key_material(
        master_key, bytes(row["encrypted_secret"]), kid=row["kid"], layer=layer.value
    )
    return StoredKey(
        layer=layer,
        kid=row["kid"],
        status=KeyStatus(row["status"]),
        plant_id=row["plant_id"],
        public_raw=None if row["public_key"] is None else bytes(row["public_key"]),
        secret=secret,
        not_before=row["not_before"],
        not_after=row["not_after"],
        created_at=row["created_at"],
    )


def to_verify_key(key: StoredKey) -> VerifyKey:
    if key.layer is Layer.BRAND:
        assert key.public_raw is not None
        return VerifyKey.brand(key.kid, load_public_key(key.public_raw), key.status)
    return VerifyKey.mac(key.layer, key.kid, key.secret, key.status)


async def create_key(
    conn: asyncpg.Connection, master_key: bytes, layer: Layer, plant_id: str | None
) -> str:
    """Insert a new active key for the layer (and plant); returns its kid."""
    for _ in range(20):
        kid = generate_kid(4)
        if layer is Layer.BRAND:
            pair = generate_brand_keypair()
            secret, public, alg = pair.private_raw, pair.public_raw, "Ed25519"
        else:
            secret, public, alg = generate_mac_secret(), None, "HMAC-SHA256"
        wrapped = encrypt_key_material(master_key, secret, kid=kid, layer=layer.value)
        if await repository.insert_key(conn, layer.value, kid, alg, plant_id, public, wrapped):
            return kid
        if await repository.active_key(conn, layer.value, plant_id) is not None:
            raise Conflict(f"another active {layer.value} key was created concurrently")
    raise RuntimeError("could not find a free key id")  # 62**4 ids: practically unreachable


async def ensure_key(
    conn: asyncpg.Connection, master_key: bytes, layer: Layer, plant_id: str | None = None
) -> None:
    """An active key for the layer (and plant) exists afterwards: made here, or by another
    process starting at the same moment (its Conflict is what ensuring wanted)."""
    if await repository.active_key(conn, layer.value, plant_id) is None:
        with contextlib.suppress(Conflict):
            await create_key(conn, master_key, layer, plant_id)


async def ensure_base_keys(conn: asyncpg.Connection, master_key: bytes) -> None:
    """Brand and service keys exist from the first start on."""
    await ensure_key(conn, master_key, Layer.BRAND)
    await ensure_key(conn, master_key, Layer.SERVICE)


async def rotate(
    conn: asyncpg.Connection, master_key: bytes, layer: Layer, plant_id: str | None
) -> str:
    """Retire the active key (it keeps verifying) and create a new one for issuing."""
    if (layer is Layer.LINE) != (plant_id is not None):
        raise InvalidInput("line keys need --line PLANT_ID; brand and service keys take none")
    if plant_id is not None and await repository.party_kind(conn, plant_id) != "plant":
        raise NotFound(f"plant {plant_id!r} does not exist")
    await repository.retire_active(conn, layer.value, plant_id)
    return await create_key(conn, master_key, layer, plant_id)


async def revoke(conn: asyncpg.Connection, kid: str, layer: Layer | None = None) -> Layer:
    """Revoke a key: codes it signed fail verification from now on."""
    rows = [r for r in await repository.find_keys_by_kid(conn, kid) if layer in (None, r["layer"])]
    if not rows:
        raise NotFound(f"no key with kid {kid!r}")
    if len(rows) > 1:
        raise Conflict(f"kid {kid!r} exists in several layers; name the layer")
    found = Layer(rows[0]["layer"])
    await repository.revoke_key(conn, found.value, kid)
    return found


class KeyStore:
    """The process's unwrapped keys, reloaded when the table changes (checked at most every 2 s)."""

    def __init__(self, master_key: bytes) -> None:
        self.master_key = master_key
        self.pin_key = pin_key(master_key)  # inner codes' hashes (codegen/inner_codes.py)
        self._keys: list[StoredKey] = []
        self._keyring = Keyring()
        self._fingerprint: tuple[int, str] | None = None
        self._checked_at = 0.0

    @property
    def keys(self) -> list[StoredKey]:
        return list(self._keys)

    @property
    def keyring(self) -> Keyring:
        return self._keyring

    def load(self, rows: Iterable[asyncpg.Record], fingerprint: tuple[int, str]) -> None:
        self._keys = [unwrap(row, self.master_key) for row in rows]
        self._keyring = Keyring(to_verify_key(k) for k in self._keys)
        self._fingerprint = fingerprint
        self._checked_at = time.monotonic()

    async def refresh(
        self,
        conn: asyncpg.Connection | asyncpg.Pool,
        force: bool = False,
        max_age_s: float = KEYRING_TTL_S,
    ) -> None:
        """Reload when the table changed; the change check runs at most every `max_age_s`."""
        if not force and time.monotonic() - self._checked_at < max_age_s:
            return
        fingerprint = await repository.keys_fingerprint(conn)
        if force or fingerprint != self._fingerprint:
            self.load(await repository.all_keys(conn), fingerprint)
        self._checked_at = time.monotonic()

    def signing_keys(self, plant_id: str) -> SigningKeys:
        brand = self._active(Layer.BRAND, None)
        service = self._active(Layer.SERVICE, None)
        line = self._active(Layer.LINE, plant_id)
        return SigningKeys(
            brand_kid=brand.kid,
            brand_private_key=brand.private_key(),
            service_kid=service.kid,
            service_secret=service.secret,
            line_kid=line.kid,
            line_secret=line.secret,
        )

    def has_active(self, layer: Layer, plant_id: str | None) -> bool:
        return any(
            k.layer is layer and k.plant_id == plant_id and k.status is KeyStatus.ACTIVE
            for k in self._keys
        )

    def _active(self, layer: Layer, plant_id: str | None) -> StoredKey:
        for key in self._keys:
            if key.layer is layer and key.plant_id == plant_id and key.status is KeyStatus.ACTIVE:
                return key
        raise Conflict(f"no active {layer.value} key" + (f" for {plant_id}" if plant_id else ""))
