"""Shared key material and helpers for the codegen unit tests (imported by basename)."""

from __future__ import annotations

from dataclasses import dataclass

from codegen.identity import Sgtin, Sscc, build_sscc
from codegen.keys_crypto import generate_brand_keypair, generate_mac_secret, load_private_key
from codegen.payload import Layer
from codegen.signing import CodeSigner, SigningKeys
from codegen.verify import Keyring, KeyStatus, VerifyKey

HOST20 = "verify.sealtrace.com"  # exactly 20 characters
GTIN = "09506000134352"
LOT8 = "L2026.1A"


@dataclass(frozen=True)
class Kit:
    keys: SigningKeys
    brand_public_raw: bytes
    signer: CodeSigner

    def keyring(
        self,
        brand: KeyStatus = KeyStatus.ACTIVE,
        service: KeyStatus = KeyStatus.ACTIVE,
        line: KeyStatus = KeyStatus.ACTIVE,
    ) -> Keyring:
        k = self.keys
        return Keyring(
            [
                VerifyKey.brand(k.brand_kid, k.brand_private_key.public_key(), brand),
                VerifyKey.mac(Layer.SERVICE, k.service_kid, k.service_secret, service),
                VerifyKey.mac(Layer.LINE, k.line_kid, k.line_secret, line),
            ]
        )


def make_kit(
    brand_kid: str = "B1x9", service_kid: str = "S7q2", line_kid: str = "L0a4", host: str = HOST20
) -> Kit:
    bk = generate_brand_keypair()
    keys = SigningKeys(
        brand_kid=brand_kid,
        brand_private_key=load_private_key(bk.private_raw),
        service_kid=service_kid,
        service_secret=generate_mac_secret(),
        line_kid=line_kid,
        line_secret=generate_mac_secret(),
    )
    return Kit(keys=keys, brand_public_raw=bk.public_raw, signer=CodeSigner(host, keys))


def item(serial: str = "aZ3kQ9mX2pL7", lot: str = LOT8) -> Sgtin:
    return Sgtin(GTIN, lot, serial)


def container() -> Sscc:
    return Sscc(build_sscc(3, "9506000", 123456789))
