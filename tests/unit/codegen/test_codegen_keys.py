from __future__ import annotations

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from codegen_testkit import item, make_kit

from codegen.keys_crypto import (
    KeyWrapError,
    decode_master_key,
    decrypt_key_material,
    encrypt_key_material,
    generate_brand_keypair,
    generate_kid,
    generate_mac_secret,
    generate_master_key,
    load_private_key,
    public_key_b64,
    public_key_from_b64,
)
from codegen.payload import validate_kid
from codegen.verify import (
    Keyring,
    KeyStatus,
    Layer,
    Reason,
    VerifyKey,
    verify_issued,
    verify_offline,
)


def test_brand_keypair_and_public_export() -> None:
    kp = generate_brand_keypair()
    assert len(kp.private_raw) == 32
    assert len(kp.public_raw) == 32
    priv = load_private_key(kp.private_raw)
    text = public_key_b64(kp.public_raw)
    assert len(text) == 43
    assert "=" not in text
    assert public_key_b64(priv) == text
    assert public_key_b64(priv.public_key()) == text
    assert public_key_from_b64(text).public_bytes_raw() == kp.public_raw
    assert repr(kp.private_raw) not in repr(kp)
    with pytest.raises(ValueError):
        public_key_from_b64(text + "A")
    with pytest.raises(ValueError):
        public_key_from_b64(text[:-1] + "=")


def test_secrets_and_kids() -> None:
    a, b = generate_mac_secret(), generate_mac_secret()
    assert len(a) == 32
    assert a != b
    assert len(generate_master_key()) == 32
    for n in (1, 2, 3, 4):
        assert validate_kid(generate_kid(n))
    with pytest.raises(ValueError):
        generate_kid(5)


@pytest.mark.parametrize("layer", ["brand", "service", "line"])
def test_aes_gcm_round_trip(layer: str) -> None:
    master = generate_master_key()
    secret = generate_brand_keypair().private_raw if layer == "brand" else generate_mac_secret()
    blob = encrypt_key_material(master, secret, kid="K1", layer=layer)
    assert secret not in blob
    assert decrypt_key_material(master, blob, kid="K1", layer=layer) == secret
    # Fresh nonce each time.
    assert encrypt_key_material(master, secret, kid="K1", layer=layer) != blob


def test_aes_gcm_tamper_and_swap_fail() -> None:
    master = generate_master_key()
    secret = generate_mac_secret()
    blob = encrypt_key_material(master, secret, kid="K1", layer="service")
    for i in range(len(blob)):
        tampered = blob[:i] + bytes([blob[i] ^ 0x01]) + blob[i + 1 :]
        with pytest.raises(KeyWrapError):
            decrypt_key_material(master, tampered, kid="K1", layer="service")
    with pytest.raises(KeyWrapError):
        decrypt_key_material(master, blob, kid="K2", layer="service")  # row swap: other kid
    with pytest.raises(KeyWrapError):
        decrypt_key_material(master, blob, kid="K1", layer="line")  # other layer
    with pytest.raises(KeyWrapError):
        decrypt_key_material(generate_master_key(), blob, kid="K1", layer="service")
    with pytest.raises(KeyWrapError):
        decrypt_key_material(master, blob[:20], kid="K1", layer="service")
    with pytest.raises(ValueError):
        encrypt_key_material(b"short", secret, kid="K1", layer="service")
    with pytest.raises(ValueError):
        encrypt_key_material(master, secret, kid="K1", layer="other")


def test_decode_master_key_forms() -> None:
    raw = generate_master_key()
    assert decode_master_key(raw.hex()) == raw
    assert decode_master_key(base64.b64encode(raw).decode()) == raw
    assert decode_master_key(base64.urlsafe_b64encode(raw).decode().rstrip("=") + "\n") == raw
    for bad in ["", "zz", raw.hex()[:-2], base64.b64encode(raw[:31]).decode()]:
        with pytest.raises(ValueError):
            decode_master_key(bad)


def test_keys_json_offline_keyring() -> None:
    kit = make_kit()
    doc = json.loads(
        json.dumps(
            {
                "keys": [
                    {
                        "kid": kit.keys.brand_kid,
                        "alg": "Ed25519",
                        "public_key": public_key_b64(kit.brand_public_raw),
                        "status": "retired",
                        "not_before": "2026-01-01T00:00:00Z",
                    }
                ]
            }
        )
    )
    ring = Keyring.from_keys_json(doc)
    payload = kit.signer.issue(item())
    assert verify_offline(payload, ring).ok
    doc["keys"][0]["status"] = KeyStatus.REVOKED.value
    assert verify_offline(payload, Keyring.from_keys_json(doc)).reason is Reason.REVOKED_KEY
    with pytest.raises(ValueError):
        Keyring.from_keys_json({"keys": [{"kid": "x", "alg": "RS256", "public_key": "AA"}]})


def test_servers_starting_together_get_one_master_key(tmp_path: Path) -> None:
    """Found by a review: two servers started at once on a new data dir, and one died with
    FileExistsError (existence check and create raced); or read a file still being written."""
    from codegen.masterkey import MASTER_KEY_FILE, load_master_key

    for attempt in range(20):
        data_dir = tmp_path / f"d{attempt}"
        start = threading.Barrier(4)

        def load(data_dir: Path = data_dir, start: threading.Barrier = start) -> bytes:
            start.wait()
            return load_master_key(None, data_dir)

        with ThreadPoolExecutor(4) as pool:
            keys = list(pool.map(lambda _: load(), range(4)))
        assert len(set(keys)) == 1 and len(keys[0]) == 32
        assert [p.name for p in data_dir.iterdir()] == [MASTER_KEY_FILE]  # no drafts left


def test_an_issued_payloads_key_checks_follow_the_keyring_they_ran_on() -> None:
    """`verify_issued` memoizes key checks per Keyring (a print run shares its kids): a
    refreshed keyring with the line key revoked fails the very payload that passed, and a key
    added to a keyring empties its memo."""
    kit = make_kit()
    payload = kit.signer.issue(item())
    ring = kit.keyring()
    for _ in range(2):  # the second answer comes from the memo, and is the same
        result = verify_issued(payload, payload, ring, batch_id="b", batch_revoked=False)
        assert result.ok and result.batch_id == "b"
    assert len(ring.checked) == 1
    revoked = kit.keyring(line=KeyStatus.REVOKED)
    result = verify_issued(payload, payload, revoked, batch_id="b", batch_revoked=False)
    assert (result.reason, result.failed_layer) == (Reason.REVOKED_KEY, Layer.LINE)
    result = verify_issued(payload, payload, ring, batch_id="b", batch_revoked=True)
    assert result.reason is Reason.REVOKED_BATCH
    ring.add(VerifyKey.mac(Layer.SERVICE, "Zz99", b"k" * 32, KeyStatus.ACTIVE))
    assert not ring.checked
