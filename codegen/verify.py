"""Pure verification of payloads against a keyring.

The DB-backed service builds a :class:`Keyring` (or anything implementing
:class:`KeyResolver`) from its stored keys, parses the payload with
:func:`codegen.payload.parse_payload` to learn the code, looks the code up, and passes the
result in as ``batch_lookup={code: batch_id}`` (an empty mapping when the code is unknown).

Offline verifiers build a keyring from ``keys.json`` with :meth:`Keyring.from_keys_json` and
call :func:`verify_offline`: the brand layer is checked, the MAC layers are reported as
``not_checked``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from codegen.keys_crypto import public_key_from_b64
from codegen.payload import (
    MAC_BYTES,
    Layer,
    MalformedPayload,
    ParsedPayload,
    b64url_decode,
    b64url_encode,
    brand_message,
    mac_message,
    parse_payload,
    validate_kid,
)
from traceability.frozen import fast_init

__all__ = [
    "ALL_LAYERS",
    "KeyResolver",
    "KeyStatus",
    "Keyring",
    "LayerOutcome",
    "LayerResult",
    "Reason",
    "VerificationResult",
    "VerifyKey",
    "verify_issued",
    "verify_offline",
    "verify_payload",
]

ALL_LAYERS: Final = (Layer.BRAND, Layer.SERVICE, Layer.LINE)


class KeyStatus(StrEnum):
    """``active`` issues and verifies; ``retired`` only verifies; ``revoked`` fails."""

    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


class LayerOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    NOT_CHECKED = "not_checked"


class Reason(StrEnum):
    """Machine-readable reasons for a failed verification."""

    MALFORMED = "malformed"
    UNKNOWN_KID = "unknown_kid"
    REVOKED_KEY = "revoked_key"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_CODE = "unknown_code"
    REVOKED_BATCH = "revoked_batch"


@dataclass(frozen=True, slots=True)
class VerifyKey:
    """Verification material for one kid of one layer.

    Brand keys carry ``public_key``; service and line keys carry ``secret``.
    """

    layer: Layer
    kid: str
    status: KeyStatus
    public_key: Ed25519PublicKey | None = None
    secret: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        validate_kid(self.kid)
        if self.layer is Layer.BRAND:
            if not isinstance(self.public_key, Ed25519PublicKey) or self.secret is not None:
                raise ValueError("a brand key has an Ed25519 public key and no secret")
        elif not isinstance(self.secret, bytes) or not self.secret or self.public_key is not None:
            raise ValueError("a service or line key has a secret and no public key")

    @classmethod
    def brand(
        cls, kid: str, public_key: Ed25519PublicKey, status: KeyStatus = KeyStatus.ACTIVE
    ) -> VerifyKey:
        return cls(Layer.BRAND, kid, KeyStatus(status), public_key=public_key)

    @classmethod
    def mac(
        cls, layer: Layer, kid: str, secret: bytes, status: KeyStatus = KeyStatus.ACTIVE
    ) -> VerifyKey:
        return cls(Layer(layer), kid, KeyStatus(status), secret=secret)


class KeyResolver(Protocol):
    """Anything that can find the verification key of ``(layer, kid)``."""

    def resolve(self, layer: Layer, kid: str) -> VerifyKey | None: ...


class Keyring:
    """In-memory :class:`KeyResolver`; kids are namespaced per layer."""

    __slots__ = ("_keys", "checked")

    def __init__(self, keys: Iterable[VerifyKey] = ()) -> None:
        self._keys: dict[tuple[Layer, str], VerifyKey] = {}
        #: kids of an issued payload → its key checks (`_key_checks`); emptied by `add`.
        self.checked: dict[tuple[str, str, str], KeyChecks] = {}
        for key in keys:
            self.add(key)

    def add(self, key: VerifyKey) -> None:
        slot = (key.layer, key.kid)
        if slot in self._keys:
            raise ValueError(f"duplicate {key.layer} key id {key.kid!r}")
        self._keys[slot] = key
        self.checked.clear()

    def resolve(self, layer: Layer, kid: str) -> VerifyKey | None:
        return self._keys.get((layer, kid))

    def __len__(self) -> int:
        return len(self._keys)

    def public_only(self) -> Keyring:
        """The brand keys alone (what an offline verifier has)."""
        return Keyring(k for k in self._keys.values() if k.layer is Layer.BRAND)

    @classmethod
    def from_keys_json(cls, document: Mapping[str, Any]) -> Keyring:
        """Brand keys from ``/.well-known/sealtrace/keys.json``:
        ``{"keys": [{"kid", "alg": "Ed25519", "public_key", "status", ...}]}``."""
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise ValueError("keys.json must have a 'keys' list")
        ring = cls()
        for entry in entries:
            if not isinstance(entry, Mapping) or entry.get("alg") != "Ed25519":
                raise ValueError("each key must be an object with alg 'Ed25519'")
            ring.add(
                VerifyKey.brand(
                    str(entry["kid"]),
                    public_key_from_b64(str(entry["public_key"])),
                    KeyStatus(str(entry.get("status", "active"))),
                )
            )
        return ring


@fast_init
@dataclass(frozen=True, slots=True)
class LayerResult:
    layer: Layer
    outcome: LayerOutcome
    kid: str | None = None
    reason: Reason | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "layer": self.layer.value,
            "outcome": self.outcome.value,
            "kid": self.kid,
            "reason": None if self.reason is None else self.reason.value,
        }


@fast_init
@dataclass(frozen=True, slots=True)
class VerificationResult:
    """Overall verdict, per-layer outcomes, and the first reason for failure."""

    ok: bool
    reason: Reason | None
    failed_layer: Layer | None
    layers: tuple[LayerResult, LayerResult, LayerResult]
    parsed: ParsedPayload | None = None
    batch_id: str | None = None
    detail: str | None = None

    @property
    def code(self) -> str | None:
        return None if self.parsed is None else self.parsed.code

    def layer(self, layer: Layer) -> LayerResult:
        return self.layers[ALL_LAYERS.index(layer)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": None if self.reason is None else self.reason.value,
            "failed_layer": None if self.failed_layer is None else self.failed_layer.value,
            "code": self.code,
            "batch_id": self.batch_id,
            "layers": [lr.to_dict() for lr in self.layers],
        }


def _check_brand(parsed: ParsedPayload, key: VerifyKey) -> bool:
    assert key.public_key is not None
    try:
        sig = b64url_decode(parsed.signature)
        key.public_key.verify(sig, brand_message(parsed.body))
    except (InvalidSignature, ValueError):
        return False
    return True


def _check_mac(parsed: ParsedPayload, layer: Layer, key: VerifyKey) -> bool:
    assert key.secret is not None
    given = parsed.service_mac if layer is Layer.SERVICE else parsed.line_mac
    digest = hmac.digest(key.secret, mac_message(layer, key.kid, parsed.uri), hashlib.sha256)
    return hmac.compare_digest(b64url_encode(digest[:MAC_BYTES]), given)


def _check_layer(parsed: ParsedPayload, layer: Layer, keyring: KeyResolver) -> LayerResult:
    kid = parsed.kid(layer)
    key = keyring.resolve(layer, kid)
    if key is None or key.layer is not layer or key.kid != kid:
        return LayerResult(layer, LayerOutcome.FAILED, kid, Reason.UNKNOWN_KID)
    if key.status is KeyStatus.REVOKED:
        return LayerResult(layer, LayerOutcome.FAILED, kid, Reason.REVOKED_KEY)
    good = _check_brand(parsed, key) if layer is Layer.BRAND else _check_mac(parsed, layer, key)
    if not good:
        return LayerResult(layer, LayerOutcome.FAILED, kid, Reason.BAD_SIGNATURE)
    return LayerResult(layer, LayerOutcome.OK, kid)


def verify_payload(
    payload: str,
    keyring: KeyResolver,
    *,
    layers: Collection[Layer] = ALL_LAYERS,
    batch_lookup: Mapping[str, str] | None = None,
    revoked_batches: Collection[str] = frozenset(),
) -> VerificationResult:
    """Verify ``payload`` (pure; never raises for bad input).

    * ``layers``: which layers to check; the others are reported ``not_checked``.
    * ``batch_lookup``: code -> batch id for the codes the caller knows; when given, a code
      missing from it fails with ``unknown_code``. ``revoked_batches`` then fails codes of
      those batches with ``revoked_batch``.

    Every requested layer is evaluated (so the per-layer outcome is complete); the overall
    reason is the first failure in the order malformed, brand, service, line, unknown code,
    revoked batch.
    """
    wanted = frozenset(Layer(x) for x in layers)
    if not wanted:
        raise ValueError("verify at least one layer")
    try:
        parsed = parse_payload(payload)
    except MalformedPayload as exc:
        failed = tuple(
            LayerResult(lay, LayerOutcome.FAILED if lay in wanted else LayerOutcome.NOT_CHECKED)
            for lay in ALL_LAYERS
        )
        return VerificationResult(
            False, Reason.MALFORMED, None, (failed[0], failed[1], failed[2]), detail=str(exc)
        )
    results: list[LayerResult] = []
    reason: Reason | None = None
    failed_layer: Layer | None = None
    for layer in ALL_LAYERS:
        if layer in wanted:
            res = _check_layer(parsed, layer, keyring)
            if res.outcome is LayerOutcome.FAILED and reason is None:
                reason, failed_layer = res.reason, layer
        else:
            res = LayerResult(layer, LayerOutcome.NOT_CHECKED, parsed.kid(layer))
        results.append(res)
    batch_id: str | None = None
    if batch_lookup is not None:
        batch_id = batch_lookup.get(parsed.code)
        if reason is None:
            if batch_id is None:
                reason = Reason.UNKNOWN_CODE
            elif batch_id in revoked_batches:
                reason = Reason.REVOKED_BATCH
    return VerificationResult(
        ok=reason is None,
        reason=reason,
        failed_layer=failed_layer,
        layers=(results[0], results[1], results[2]),
        parsed=parsed,
        batch_id=batch_id,
    )


def verify_offline(payload: str, keyring: KeyResolver) -> VerificationResult:
    """Offline verification with published brand keys only: MAC layers are ``not_checked``."""
    return verify_payload(payload, keyring, layers=(Layer.BRAND,))


def verify_issued(
    payload: str,
    issued_payload: str | None,
    keyring: KeyResolver,
    *,
    batch_id: str | None,
    batch_revoked: bool,
) -> VerificationResult:
    """Online check against the code registry, with a fast path for the exact issued string.

    The service stores every payload it signed. A scanned payload byte-identical to the stored
    one passed all three layers when it was signed, so only key and batch status are checked
    again (a revocation still fails it). Any other string gets the full check, which names the
    failed layer. Result-equivalent to :func:`verify_payload` with the registry lookup.
    """
    lookup: dict[str, str] = {}
    revoked: frozenset[str] = frozenset()
    if issued_payload is not None and batch_id is not None:
        if hmac.compare_digest(payload.encode(), issued_payload.encode()):
            return _known_good(parse_payload(payload), keyring, batch_id, batch_revoked)
        lookup = {_code_of(issued_payload): batch_id}
        revoked = frozenset({batch_id}) if batch_revoked else frozenset()
    return verify_payload(payload, keyring, batch_lookup=lookup, revoked_batches=revoked)


def _code_of(payload: str) -> str:
    return parse_payload(payload).code


KeyChecks = tuple[tuple[LayerResult, LayerResult, LayerResult], Reason | None, Layer | None]


def _known_good(
    parsed: ParsedPayload, keyring: KeyResolver, batch_id: str, batch_revoked: bool
) -> VerificationResult:
    kids = (parsed.brand_kid, parsed.service_kid, parsed.line_kid)
    layers, reason, failed_layer = _key_checks(keyring, kids)
    if reason is None and batch_revoked:
        reason = Reason.REVOKED_BATCH
    return VerificationResult(
        ok=reason is None,
        reason=reason,
        failed_layer=failed_layer,
        layers=layers,
        parsed=parsed,
        batch_id=batch_id,
    )


def _key_checks(keyring: KeyResolver, kids: tuple[str, str, str]) -> KeyChecks:
    """Each layer's key of an issued payload: known and not revoked (its signature passed
    when it was signed). Memoized on a Keyring, which a refresh replaces rather than
    changes: a whole print run shares its three kids."""
    memo = keyring.checked if isinstance(keyring, Keyring) else {}
    found = memo.get(kids)
    if found is None:
        found = memo[kids] = _check_keys(keyring, kids)
    return found


def _check_keys(keyring: KeyResolver, kids: tuple[str, str, str]) -> KeyChecks:
    results: list[LayerResult] = []
    reason: Reason | None = None
    failed_layer: Layer | None = None
    for layer, kid in zip(ALL_LAYERS, kids, strict=True):
        key = keyring.resolve(layer, kid)
        if key is None:
            result = LayerResult(layer, LayerOutcome.FAILED, kid, Reason.UNKNOWN_KID)
        elif key.status is KeyStatus.REVOKED:
            result = LayerResult(layer, LayerOutcome.FAILED, kid, Reason.REVOKED_KEY)
        else:
            result = LayerResult(layer, LayerOutcome.OK, kid)
        if result.reason is not None and reason is None:
            reason, failed_layer = result.reason, layer
        results.append(result)
    return (results[0], results[1], results[2]), reason, failed_layer
