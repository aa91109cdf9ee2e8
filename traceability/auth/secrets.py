"""Token format `st_<id hex>_<secret>`: only sha256(secret) is stored, constant-time compared."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid

_TOKEN = re.compile(r"^st_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$")


def new_token() -> tuple[uuid.UUID, str, bytes]:
    """A fresh token: its id, the secret string shown once, and the hash to store."""
    token_id = uuid.uuid4()
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return token_id, f"st_{token_id.hex}_{secret}", hash_secret(secret)


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def split_token(token: str) -> tuple[uuid.UUID, str] | None:
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    return uuid.UUID(hex=match.group(1)), match.group(2)


def secret_matches(secret: str, stored_hash: bytes) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
