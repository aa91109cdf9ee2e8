"""The printed payload: a GS1 Digital Link URI carrying three integrity layers.

Grammar (strict; the only accepted form, byte for byte, see ``docs/code-format.md``)::

    payload  = uri "?k=" bkid "&s=" skid "." smac "&l=" lkid "." lmac "&8030=" sig
    uri      = "https://" host path
    path     = "/01/" gtin14 "/10/" lot "/21/" serial      ; item (SGTIN)
             / "/00/" sscc18                              ; case or pallet (SSCC)
    kid      = 1*4 [A-Za-z0-9]
    smac     = lmac = 12 base64url chars                 ; 9-byte (72-bit) truncated HMAC-SHA256
    sig      = 86 base64url chars, canonical (last char in "AQgw"), Ed25519 signature

Messages (all ASCII; ``\\x00`` separates fields, none of which can contain NUL)::

    service MAC input = b"sealtrace/v1/service\\x00" + skid + b"\\x00" + uri
    line MAC input    = b"sealtrace/v1/line\\x00" + lkid + b"\\x00" + uri
    brand sig input   = b"sealtrace/v1/brand\\x00" + body
    body              = payload up to, not including, "&8030="

The brand signature covers the whole body, hence the identity, the host, every kid and both
MAC values: every character of the payload except the signature itself, which is checked by
verifying it. Offline verification with public keys therefore already rejects any change.
"""

from __future__ import annotations

import base64
import functools
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from codegen.identity import Sgtin, Sscc, validate_sscc
from traceability.frozen import fast_init

__all__ = [
    "BRAND_DOMAIN",
    "LINE_DOMAIN",
    "MAC_BYTES",
    "MAC_CHARS",
    "MAX_PAYLOAD_LENGTH",
    "SERVICE_DOMAIN",
    "SIG_CHARS",
    "Layer",
    "MalformedPayload",
    "ParsedPayload",
    "b64url_decode",
    "b64url_encode",
    "brand_message",
    "code_or_none",
    "identity_uri",
    "mac_message",
    "parse_payload",
    "validate_host",
    "validate_kid",
]


class Layer(StrEnum):
    """The three integrity layers."""

    BRAND = "brand"
    SERVICE = "service"
    LINE = "line"


#: Truncated HMAC-SHA256 length: 72 bits, exactly 12 base64url chars (no slack bits).
MAC_BYTES: Final = 9
MAC_CHARS: Final = 12
#: Ed25519 signature (64 bytes) in unpadded base64url.
SIG_CHARS: Final = 86
#: Longest payload the grammar admits (253-char host with port, 20-char lot and serial).
MAX_PAYLOAD_LENGTH: Final = 512

BRAND_DOMAIN: Final = b"sealtrace/v1/brand\x00"
SERVICE_DOMAIN: Final = b"sealtrace/v1/service\x00"
LINE_DOMAIN: Final = b"sealtrace/v1/line\x00"

_KID_RE: Final = re.compile(r"[A-Za-z0-9]{1,4}")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_RE: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?::[1-9][0-9]{{0,4}})?")

_PAYLOAD_RE: Final = re.compile(
    r"(?P<body>(?P<uri>https://(?P<host>[a-z0-9.:-]{1,259})"
    r"(?:/01/(?P<gtin>[0-9]{14})/10/(?P<lot>[A-Za-z0-9._-]{1,20})"
    r"/21/(?P<serial>[A-Za-z0-9._-]{1,20})|/00/(?P<sscc>[0-9]{18})))"
    r"\?k=(?P<bkid>[A-Za-z0-9]{1,4})"
    r"&s=(?P<skid>[A-Za-z0-9]{1,4})\.(?P<smac>[A-Za-z0-9_-]{12})"
    r"&l=(?P<lkid>[A-Za-z0-9]{1,4})\.(?P<lmac>[A-Za-z0-9_-]{12}))"
    r"&8030=(?P<sig>[A-Za-z0-9_-]{85}[AQgw])"
)


class MalformedPayload(ValueError):
    """The payload does not match the strict grammar."""


def validate_host(host: str) -> str:
    """Return ``host`` if it is a lowercase DNS name (optionally ``:port``), at most 253 chars."""
    if not isinstance(host, str) or not _HOST_RE.fullmatch(host):
        raise ValueError("host must be a lowercase DNS name of [a-z0-9-] labels, optional :port")
    name, _, port = host.partition(":")
    if len(name) > 253 or (port and int(port) > 65535):
        raise ValueError("host name too long or port out of range")
    return host


def validate_kid(kid: str) -> str:
    """Return ``kid`` if it is 1..4 characters of ``[A-Za-z0-9]``."""
    if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
        raise ValueError("key id must be 1..4 characters of [A-Za-z0-9]")
    return kid


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url: rejects padding, foreign chars and non-canonical encodings."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not canonical unpadded base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(raw) != text:
        raise ValueError("not canonical unpadded base64url")
    return raw


def identity_uri(host: str, identity: Sgtin | Sscc) -> str:
    """``https://{host}{path}``: the Digital Link URI without query (what the MACs cover)."""
    return f"https://{host}{identity.path}"


def mac_message(layer: Layer, kid: str, uri: str) -> bytes:
    """Byte-exact input of the service or line MAC."""
    if layer is Layer.SERVICE:
        domain = SERVICE_DOMAIN
    elif layer is Layer.LINE:
        domain = LINE_DOMAIN
    else:
        raise ValueError("MAC layers are service and line")
    return domain + kid.encode("ascii") + b"\x00" + uri.encode("ascii")


def brand_message(body: str) -> bytes:
    """Byte-exact input of the brand signature: domain + payload body (everything before
    ``&8030=``)."""
    return BRAND_DOMAIN + body.encode("ascii")


@fast_init
@dataclass(frozen=True, slots=True)
class ParsedPayload:
    """A payload that matched the grammar, split into its fields."""

    payload: str
    host: str
    identity: Sgtin | Sscc
    brand_kid: str
    service_kid: str
    service_mac: str
    line_kid: str
    line_mac: str
    signature: str
    #: ``https://{host}{path}`` (the MAC layers' subject).
    uri: str
    #: Everything before ``&8030=`` (the brand layer's subject).
    body: str

    @property
    def code(self) -> str:
        return self.identity.code

    def kid(self, layer: Layer) -> str:
        if layer is Layer.BRAND:
            return self.brand_kid
        if layer is Layer.SERVICE:
            return self.service_kid
        return self.line_kid


def parse_payload(payload: str) -> ParsedPayload:
    """Parse a payload in strict canonical form (raises :class:`MalformedPayload`).

    Strict means: exact scheme, lowercase host, fixed path and query order, no extra or
    missing parameters, no percent-encoding, canonical base64url, valid check digits.
    """
    if not isinstance(payload, str) or len(payload) > MAX_PAYLOAD_LENGTH:
        raise MalformedPayload("payload must be a string of at most 512 characters")
    return _parse(payload)


_FIELDS: Final = ("host", "gtin", "lot", "serial", "sscc", "bkid", "skid", "smac", "lkid")
_MORE_FIELDS: Final = ("lmac", "sig", "uri", "body")


@functools.lru_cache(maxsize=8192)
def _parse(payload: str) -> ParsedPayload:
    """Memoized: a code is scanned at several checkpoints, and parsed twice per scan."""
    m = _PAYLOAD_RE.fullmatch(payload)
    if m is None:
        raise MalformedPayload("payload does not match the Sealtrace Digital Link grammar")
    host, gtin, lot, serial, sscc, bkid, skid, smac, lkid = m.group(*_FIELDS)
    lmac, sig, uri, body = m.group(*_MORE_FIELDS)
    try:
        _known_host(host)
        # Sgtin validates the GTIN's check digit.
        identity = Sscc(validate_sscc(sscc)) if sscc is not None else Sgtin(gtin, lot, serial)
    except ValueError as exc:
        raise MalformedPayload(str(exc)) from exc
    return ParsedPayload(
        payload=payload,
        host=host,
        identity=identity,
        brand_kid=bkid,
        service_kid=skid,
        service_mac=smac,
        line_kid=lkid,
        line_mac=lmac,
        signature=sig,
        uri=uri,
        body=body,
    )


@functools.lru_cache(maxsize=64)
def _known_host(host: str) -> str:
    """A deployment prints one or two hosts: each is validated once (errors are not cached)."""
    return validate_host(host)


def code_or_none(payload: str) -> str | None:
    """The canonical code a payload names, or None when it is not one of ours at all."""
    try:
        return parse_payload(payload).code
    except MalformedPayload:
        return None
