"""Signing many codes fast: chunks signed on every core, in worker processes."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass

from codegen.identity import build_sscc, generate_serials
from codegen.keys_crypto import load_private_key
from codegen.signing import CodeSigner, SigningKeys

CHUNK = 10_000
INLINE_LIMIT = 2_000  # below this, signing in-process beats the hop to a worker


@dataclass(frozen=True, slots=True)
class RawKeys:
    """Picklable key material for worker processes."""

    brand_kid: str
    brand_private: bytes
    service_kid: str
    service_secret: bytes
    line_kid: str
    line_secret: bytes

    @classmethod
    def of(cls, keys: SigningKeys) -> RawKeys:
        return cls(
            keys.brand_kid,
            keys.brand_private_key.private_bytes_raw(),
            keys.service_kid,
            keys.service_secret,
            keys.line_kid,
            keys.line_secret,
        )

    def signing_keys(self) -> SigningKeys:
        return SigningKeys(
            brand_kid=self.brand_kid,
            brand_private_key=load_private_key(self.brand_private),
            service_kid=self.service_kid,
            service_secret=self.service_secret,
            line_kid=self.line_kid,
            line_secret=self.line_secret,
        )


_SIGNERS: dict[tuple[str, RawKeys], CodeSigner] = {}


def _signer(host: str, keys: RawKeys) -> CodeSigner:
    signer = _SIGNERS.get((host, keys))
    if signer is None:
        _SIGNERS.clear()
        signer = _SIGNERS[(host, keys)] = CodeSigner(host, keys.signing_keys())
    return signer


def sign_items(
    host: str, keys: RawKeys, gtin: str, lot: str, count: int
) -> list[tuple[str, str, str]]:
    """`count` fresh random serials signed: (code, serial, payload)."""
    serials = generate_serials(count)
    signed = _signer(host, keys).issue_items(gtin, lot, serials)
    return [
        (code, serial, payload) for serial, (code, payload) in zip(serials, signed, strict=True)
    ]


def sign_containers(
    host: str, keys: RawKeys, extension: int, prefix: str, count: int
) -> list[tuple[str, str, str]]:
    """`count` SSCCs with random serial references (unguessable, like item serials), signed."""
    ssccs = [build_sscc(extension, prefix) for _ in range(count)]
    signed = _signer(host, keys).issue_containers(ssccs)
    return [(code, sscc, payload) for sscc, (code, payload) in zip(ssccs, signed, strict=True)]


def make_signing_pool() -> Executor:
    """One worker per core; spawned (not forked) so no event loop or pool state is inherited."""
    workers = max(1, os.cpu_count() or 1)
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
