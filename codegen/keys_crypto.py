"""Key material helpers: generation, public-key export, encryption at rest.

Private material (Ed25519 private keys, HMAC secrets) is stored as an AES-256-GCM blob::

    blob = b"\\x01" || nonce (12 bytes) || ciphertext || tag (16 bytes)
    AAD  = b"sealtrace/keywrap/v1\\x00" || layer || b"\\x00" || kid

The master key (32 bytes) comes from the environment or a file, never from the database. The
AAD binds each blob to its row's kid and layer, so ciphertexts cannot be swapped between rows.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from codegen.payload import b64url_decode, b64url_encode, validate_kid

__all__ = [
    "MAC_SECRET_BYTES",
    "MASTER_KEY_BYTES",
    "BrandKeyPair",
    "KeyWrapError",
    "b64url_decode",
    "b64url_encode",
    "decode_master_key",
    "decrypt_key_material",
    "encrypt_key_material",
    "generate_brand_keypair",
    "generate_kid",
    "generate_mac_secret",
    "generate_master_key",
    "load_private_key",
    "load_public_key",
    "public_key_b64",
    "public_key_from_b64",
]

MASTER_KEY_BYTES: Final = 32
MAC_SECRET_BYTES: Final = 32
_WRAP_VERSION: Final = b"\x01"
_NONCE_BYTES: Final = 12
_AAD_DOMAIN: Final = b"sealtrace/keywrap/v1\x00"
_LAYERS: Final = frozenset({"brand", "service", "line"})
_KID_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class KeyWrapError(ValueError):
    """Encrypted key material could not be decrypted (wrong master key, kid, layer or tampered)."""


@dataclass(frozen=True, slots=True)
class BrandKeyPair:
    """A raw Ed25519 key pair (32-byte private seed, 32-byte public key)."""

    private_raw: bytes = field(repr=False)
    public_raw: bytes


def generate_brand_keypair() -> BrandKeyPair:
    """A fresh Ed25519 key pair as raw bytes."""
    key = Ed25519PrivateKey.generate()
    return BrandKeyPair(
        private_raw=key.private_bytes_raw(), public_raw=key.public_key().public_bytes_raw()
    )


def generate_mac_secret() -> bytes:
    """A fresh 32-byte HMAC secret (service or line seal)."""
    return secrets.token_bytes(MAC_SECRET_BYTES)


def generate_master_key() -> bytes:
    """A fresh 32-byte AES-256-GCM master key."""
    return AESGCM.generate_key(bit_length=256)


def generate_kid(length: int = 4) -> str:
    """A random key id of ``length`` (1..4) chars of ``[0-9A-Za-z]``; callers check uniqueness."""
    if not 1 <= length <= 4:
        raise ValueError("key ids are 1..4 characters")
    return "".join(secrets.choice(_KID_ALPHABET) for _ in range(length))


def load_private_key(raw: bytes) -> Ed25519PrivateKey:
    """Ed25519 private key from its 32 raw bytes."""
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(raw: bytes) -> Ed25519PublicKey:
    """Ed25519 public key from its 32 raw bytes."""
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_b64(key: bytes | Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """Public key as unpadded base64url of the 32 raw bytes (the ``keys.json`` form)."""
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    if isinstance(key, Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        raw = load_public_key(key).public_bytes_raw()
    return b64url_encode(raw)


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """Inverse of :func:`public_key_b64` (strict: canonical base64url of exactly 32 bytes)."""
    raw = b64url_decode(text)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return load_public_key(raw)


def decode_master_key(text: str) -> bytes:
    """Master key from its text form: 64 hex digits, or base64/base64url of 32 bytes."""
    value = text.strip()
    raw: bytes
    if re.fullmatch(r"[0-9a-fA-F]{64}", value):
        raw = bytes.fromhex(value)
    else:
        try:
            raw = base64.b64decode(
                value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4),
                validate=True,
            )
        except (binascii.Error, ValueError) as exc:
            raise ValueError("master key must be 64 hex digits or base64 of 32 bytes") from exc
    if len(raw) != MASTER_KEY_BYTES:
        raise ValueError("master key must be 32 bytes")
    return raw


def _aad(kid: str, layer: str) -> bytes:
    validate_kid(kid)
    if layer not in _LAYERS:
        raise ValueError("layer must be brand, service or line")
    return _AAD_DOMAIN + str(layer).encode("ascii") + b"\x00" + kid.encode("ascii")


def _aesgcm(master_key: bytes) -> AESGCM:
    if not isinstance(master_key, bytes) or len(master_key) != MASTER_KEY_BYTES:
        raise ValueError("master key must be 32 bytes")
    return AESGCM(master_key)


def encrypt_key_material(master_key: bytes, plaintext: bytes, *, kid: str, layer: str) -> bytes:
    """Encrypt private key bytes for storage, bound to ``kid`` and ``layer``."""
    nonce = os.urandom(_NONCE_BYTES)
    ct = _aesgcm(master_key).encrypt(nonce, plaintext, _aad(kid, layer))
    return _WRAP_VERSION + nonce + ct


def decrypt_key_material(master_key: bytes, blob: bytes, *, kid: str, layer: str) -> bytes:
    """Decrypt a blob from :func:`encrypt_key_material` (raises :class:`KeyWrapError`)."""
    aad = _aad(kid, layer)
    if len(blob) < 1 + _NONCE_BYTES + 16 or blob[:1] != _WRAP_VERSION:
        raise KeyWrapError("unknown or truncated key blob")
    try:
        return _aesgcm(master_key).decrypt(
            blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :], aad
        )
    except InvalidTag as exc:
        raise KeyWrapError("key blob does not authenticate (master key, kid or layer)") from exc
