"""Inner codes: pins printed inside a package or under its cap, stored only as keyed hashes.

An inner code proves possession of the opened package, so points for products that need it
are paid only with it (docs/consumer-verification.md). The registry keeps
HMAC-SHA256(pin key, canonical pin), the pin key derived from the master key: a copy of the
database alone does not let anyone try the short pins offline, as a plain SHA-256 did. Rows
hashed before keying (`inner_code_keyed` false) are still compared as plain SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_SEPARATORS = re.compile(r"[\s-]+")
PIN_PATTERN = r"^[A-Za-z0-9 -]{1,32}$"
"""A pin as printed and as typed: ASCII letters, digits, spaces and hyphens, at most 32
characters (POST /v1/verify takes exactly these, so every stored pin can be entered)."""
_PRINTED = re.compile(PIN_PATTERN)
PIN_KEY_LABEL = b"sealtrace/inner-codes/v1"
MIN_PIN_LENGTH = 6
"""Canonical characters an uploaded pin needs: ten guesses a day must not find it."""
MAX_PIN_LENGTH = 32


def canonical_pin(pin: str) -> str:
    """What is hashed: separators (spaces, hyphens) removed, letters upper-cased."""
    return _SEPARATORS.sub("", pin).upper()


def pin_problem(pin: str) -> str | None:
    """Why an uploaded pin cannot be stored (None: it can)."""
    if not _PRINTED.fullmatch(pin):
        return (
            "may hold only ASCII letters, digits, spaces and hyphens, at most "
            f"{MAX_PIN_LENGTH} characters as printed"
        )
    if len(canonical_pin(pin)) < MIN_PIN_LENGTH:
        return f"needs at least {MIN_PIN_LENGTH} letters or digits"
    return None


def pin_key(master_key: bytes) -> bytes:
    """The key inner codes are hashed under, derived from the master key (never stored)."""
    return hmac.new(master_key, PIN_KEY_LABEL, hashlib.sha256).digest()


def keyed_hash(key: bytes, pin: str) -> bytes:
    return hmac.new(key, canonical_pin(pin).encode("utf-8"), hashlib.sha256).digest()


def legacy_hash(pin: str) -> bytes:
    """The plain SHA-256 stored before inner codes were keyed."""
    return hashlib.sha256(canonical_pin(pin).encode("utf-8")).digest()


def pin_matches(pin: str, stored: bytes | None, keyed: bool, key: bytes) -> bool:
    """Constant-time comparison; a code without a stored hash matches no pin."""
    if stored is None:
        return False
    digest = keyed_hash(key, pin) if keyed else legacy_hash(pin)
    return hmac.compare_digest(digest, bytes(stored))
