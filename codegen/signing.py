"""Issuing: turn identities into triple-sealed payloads.

Hot path notes: a :class:`CodeSigner` is built once per batch (or per process) with the three
active keys. It pre-feeds the constant part of each MAC input (domain, kid, ``https://host``)
into an HMAC object and only ``copy()``/``update(path)``/``digest()`` per code, binds the
Ed25519 ``sign`` method once, and builds each payload with one f-string. No biip, no
dataclass per code on the ``issue_items`` path.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from codegen.identity import (
    Sgtin,
    Sscc,
    normalize_gtin,
    validate_lot,
    validate_serial,
    validate_sscc,
)
from codegen.payload import (
    BRAND_DOMAIN,
    LINE_DOMAIN,
    MAC_BYTES,
    SERVICE_DOMAIN,
    SIG_CHARS,
    validate_host,
    validate_kid,
)

__all__ = ["CodeSigner", "SigningKeys", "issue_code"]

_MIN_SECRET = 16


@dataclass(frozen=True, slots=True)
class SigningKeys:
    """The three active keys used to issue codes, each with its key id."""

    brand_kid: str
    brand_private_key: Ed25519PrivateKey = field(repr=False)
    service_kid: str
    service_secret: bytes = field(repr=False)
    line_kid: str
    line_secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        for kid in (self.brand_kid, self.service_kid, self.line_kid):
            validate_kid(kid)
        if not isinstance(self.brand_private_key, Ed25519PrivateKey):
            raise TypeError("brand_private_key must be an Ed25519PrivateKey")
        for secret in (self.service_secret, self.line_secret):
            if not isinstance(secret, bytes) or len(secret) < _MIN_SECRET:
                raise ValueError(f"MAC secrets must be bytes of at least {_MIN_SECRET} bytes")


class CodeSigner:
    """Issues payloads on one resolver host with one set of active keys."""

    __slots__ = ("_brand_q", "_host", "_line_h", "_line_q", "_prefix", "_service_h", "_sign")

    def __init__(self, host: str, keys: SigningKeys) -> None:
        self._host = validate_host(host)
        prefix = f"https://{host}"
        self._prefix = prefix
        pre = prefix.encode("ascii")
        self._service_h = hmac.new(
            keys.service_secret,
            SERVICE_DOMAIN + keys.service_kid.encode("ascii") + b"\x00" + pre,
            hashlib.sha256,
        )
        self._line_h = hmac.new(
            keys.line_secret,
            LINE_DOMAIN + keys.line_kid.encode("ascii") + b"\x00" + pre,
            hashlib.sha256,
        )
        self._brand_q = f"?k={keys.brand_kid}&s={keys.service_kid}."
        self._line_q = f"&l={keys.line_kid}."
        self._sign = keys.brand_private_key.sign

    @property
    def host(self) -> str:
        return self._host

    def _seal(self, path: str) -> str:
        pb = path.encode("ascii")
        h = self._service_h.copy()
        h.update(pb)
        smac = base64.urlsafe_b64encode(h.digest()[:MAC_BYTES]).decode("ascii")
        h = self._line_h.copy()
        h.update(pb)
        lmac = base64.urlsafe_b64encode(h.digest()[:MAC_BYTES]).decode("ascii")
        body = f"{self._prefix}{path}{self._brand_q}{smac}{self._line_q}{lmac}"
        sig = base64.urlsafe_b64encode(self._sign(BRAND_DOMAIN + body.encode("ascii")))
        return f"{body}&8030={sig[:SIG_CHARS].decode('ascii')}"

    def issue(self, identity: Sgtin | Sscc) -> str:
        """Payload for one (already validated) identity."""
        return self._seal(identity.path)

    def issue_items(self, gtin: str, lot: str, serials: Iterable[str]) -> Iterator[tuple[str, str]]:
        """Yield ``(code, payload)`` for each serial of one GTIN and lot (validated once)."""
        gtin14 = normalize_gtin(gtin)
        validate_lot(lot)
        code_prefix = f"sgtin:{gtin14}:{lot}:"
        path_prefix = f"/01/{gtin14}/10/{lot}/21/"
        seal = self._seal
        for serial in serials:
            validate_serial(serial)
            yield code_prefix + serial, seal(path_prefix + serial)

    def issue_containers(self, ssccs: Iterable[str]) -> Iterator[tuple[str, str]]:
        """Yield ``(code, payload)`` for each SSCC-18."""
        seal = self._seal
        for sscc in ssccs:
            validate_sscc(sscc)
            yield "sscc:" + sscc, seal("/00/" + sscc)


def issue_code(identity: Sgtin | Sscc, *, host: str, keys: SigningKeys) -> str:
    """One-shot convenience: the payload of ``identity``. Build a :class:`CodeSigner` for bulk."""
    return CodeSigner(host, keys).issue(identity)
