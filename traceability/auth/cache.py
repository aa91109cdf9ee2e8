"""Recently checked bearer tokens: a busy scanner's token is looked up once a second, not once
per group commit.

A revocation takes effect at once in the process that revoked the token (`forget`) and within
`ttl_s` (1 s by default) everywhere else. Only accepted tokens are kept, keyed by a SHA-256 of
the bearer (the secret is not kept), at most `max_entries` of them.
"""

from __future__ import annotations

import hashlib
import time
import uuid

from traceability.auth.models import Principal


def bearer_key(bearer: str) -> bytes:
    return hashlib.sha256(bearer.encode()).digest()


class PrincipalCache:
    def __init__(self, ttl_s: float = 1.0, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[bytes, tuple[Principal, float]] = {}

    def get(self, key: bytes) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        principal, expires = entry
        if time.monotonic() >= expires:
            del self._entries[key]
            return None
        return principal

    def put(self, key: bytes, principal: Principal) -> None:
        if self.ttl_s <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # a flood of distinct tokens: start over rather than grow
        self._entries[key] = (principal, time.monotonic() + self.ttl_s)

    def forget(self, token_id: uuid.UUID) -> None:
        """The token was revoked here: refuse it from now on."""
        for key in [k for k, (p, _) in self._entries.items() if p.token_id == token_id]:
            del self._entries[key]
