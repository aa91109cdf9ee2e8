from __future__ import annotations

import string

import biip
import pytest
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from codegen_testkit import GTIN, HOST20, LOT8, container, item, make_kit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.identity import generate_serial
from codegen.payload import Layer, MalformedPayload, parse_payload
from codegen.signing import issue_code
from codegen.verify import (
    Keyring,
    KeyStatus,
    LayerOutcome,
    Reason,
    verify_offline,
    verify_payload,
)

KIT = make_kit()
RING = KIT.keyring()
PUBLIC = RING.public_only()
ITEM_PAYLOAD = KIT.signer.issue(item())
BOX = container()
BOX_PAYLOAD = KIT.signer.issue(BOX)


def test_item_round_trip_and_shape() -> None:
    p = ITEM_PAYLOAD
    assert p.startswith(f"https://{HOST20}/01/{GTIN}/10/{LOT8}/21/aZ3kQ9mX2pL7?k=B1x9&s=S7q2.")
    assert len(p) == 213  # the size case: 20-char host, 8-char lot, 12-char serial, 4-char kids
    r = verify_payload(p, RING)
    assert r.ok, r
    assert r.reason is None
    assert r.code == f"sgtin:{GTIN}:{LOT8}:aZ3kQ9mX2pL7"
    assert [lr.outcome for lr in r.layers] == [LayerOutcome.OK] * 3
    assert [lr.kid for lr in r.layers] == ["B1x9", "S7q2", "L0a4"]
    assert issue_code(item(), host=HOST20, keys=KIT.keys) == p  # Ed25519 is deterministic


def test_container_round_trip() -> None:
    r = verify_payload(BOX_PAYLOAD, RING)
    assert r.ok
    assert r.code == BOX.code
    assert BOX_PAYLOAD.startswith(f"https://{HOST20}/00/{BOX.sscc}?k=")


def test_biip_parses_item_payload() -> None:
    dl = GS1DigitalLinkURI.parse(ITEM_PAYLOAD)
    values = {es.ai.ai: es.value for es in dl.element_strings}
    assert values["01"] == GTIN
    assert values["10"] == LOT8
    assert values["21"] == "aZ3kQ9mX2pL7"
    assert values["8030"] == parse_payload(ITEM_PAYLOAD).signature
    res = biip.parse(ITEM_PAYLOAD)
    assert res.gtin is not None
    assert res.gtin.value == GTIN


def test_biip_parses_container_payload() -> None:
    res = biip.parse(BOX_PAYLOAD)
    assert res.gs1_digital_link_uri is not None
    values = {es.ai.ai: es for es in res.gs1_digital_link_uri.element_strings}
    assert values["00"].value == BOX.sscc
    assert values["00"].sscc is not None
    assert values["00"].sscc.value == BOX.sscc


def test_issue_items_bulk() -> None:
    serials = [generate_serial() for _ in range(50)]
    out = list(KIT.signer.issue_items("9506000134352", LOT8, serials))
    assert len(out) == 50
    for (code, payload), serial in zip(out, serials, strict=True):
        assert code == f"sgtin:{GTIN}:{LOT8}:{serial}"
        r = verify_payload(payload, RING)
        assert r.ok
        assert r.code == code
    containers = list(KIT.signer.issue_containers([BOX.sscc]))
    assert containers == [(BOX.code, BOX_PAYLOAD)]


MUTATION_CHARS = string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=% "


def _assert_rejected(candidate: str) -> None:
    assert candidate != ITEM_PAYLOAD
    online = verify_payload(candidate, RING)
    assert not online.ok, candidate
    offline = verify_offline(candidate, PUBLIC)
    assert not offline.ok, candidate


def test_every_single_character_substitution_fails() -> None:
    p = ITEM_PAYLOAD
    tried = 0
    for i, orig in enumerate(p):
        for c in MUTATION_CHARS:
            if c != orig:
                _assert_rejected(p[:i] + c + p[i + 1 :])
                tried += 1
    assert tried > 213 * 70


def test_every_single_character_deletion_and_insertion_fails() -> None:
    p = ITEM_PAYLOAD
    for i in range(len(p)):
        _assert_rejected(p[:i] + p[i + 1 :])
    for i in range(len(p) + 1):
        for c in "aA0-._/?&=%":
            _assert_rejected(p[:i] + c + p[i:])


def test_case_changes_fail() -> None:
    p = ITEM_PAYLOAD
    for i, ch in enumerate(p):
        if ch.swapcase() != ch:
            _assert_rejected(p[:i] + ch.swapcase() + p[i + 1 :])
    _assert_rejected(p.upper())
    _assert_rejected(p.replace("https://", "HTTPS://"))


def test_container_single_substitutions_fail() -> None:
    p = BOX_PAYLOAD
    for i, orig in enumerate(p):
        for c in "aA0-.":
            if c != orig:
                cand = p[:i] + c + p[i + 1 :]
                assert not verify_payload(cand, RING).ok
                assert not verify_offline(cand, PUBLIC).ok


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    edits=st.integers(min_value=1, max_value=4),
)
def test_random_mutations_fail(data: st.DataObject, edits: int) -> None:
    p = ITEM_PAYLOAD
    for _ in range(edits):
        op = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        i = data.draw(st.integers(min_value=0, max_value=max(len(p) - 1, 0)))
        c = data.draw(st.characters(min_codepoint=0, max_codepoint=0x2FF))
        if op == "replace" and p:
            p = p[:i] + c + p[i + 1 :]
        elif op == "delete" and p:
            p = p[:i] + p[i + 1 :]
        else:
            p = p[:i] + c + p[i:]
    if p == ITEM_PAYLOAD:
        return
    assert not verify_payload(p, RING).ok
    assert not verify_offline(p, PUBLIC).ok


@given(st.text(max_size=300))
def test_garbage_is_malformed_never_raises(text: str) -> None:
    r = verify_payload(text, RING)
    assert not r.ok
    assert r.reason is Reason.MALFORMED


def test_malformed_variants() -> None:
    p = ITEM_PAYLOAD
    for bad in [
        p + "&x=1",
        p + "\n",
        " " + p,
        p.replace("?k=", "?K="),
        p.replace("/10/L2026.1A", "/10/L2026%2E1A"),
        p.replace("https://", "http://"),
        p.replace(GTIN, GTIN[:13] + "3"),  # GTIN check digit
    ]:
        r = verify_payload(bad, RING)
        assert r.reason is Reason.MALFORMED, bad
    with pytest.raises(MalformedPayload):
        parse_payload(p[:-1])


def test_signature_slack_bits_rejected() -> None:
    # 86 base64url chars carry 516 bits for a 512-bit signature: the last char's low 4 bits
    # must be zero. Flipping them would decode to the same bytes, so it must be refused.
    p = ITEM_PAYLOAD
    last = p[-1]
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    idx = alphabet.index(last)
    for j in range(1, 16):
        cand = p[:-1] + alphabet[idx + j] if idx + j < 64 else None
        if cand is not None and (idx + j) // 16 == idx // 16:
            assert not verify_payload(cand, RING).ok


def test_unknown_kid_per_layer() -> None:
    other = make_kit(brand_kid="B2", service_kid="S2", line_kid="L2")
    r = verify_payload(ITEM_PAYLOAD, other.keyring())
    assert not r.ok
    assert r.reason is Reason.UNKNOWN_KID
    assert r.failed_layer is Layer.BRAND
    assert all(lr.reason is Reason.UNKNOWN_KID for lr in r.layers)
    # Same kids, wrong secrets: bad signature on every layer.
    impostor = make_kit()
    r = verify_payload(ITEM_PAYLOAD, impostor.keyring())
    assert r.reason is Reason.BAD_SIGNATURE
    assert [lr.reason for lr in r.layers] == [Reason.BAD_SIGNATURE] * 3


def test_only_line_key_unknown() -> None:
    k = KIT.keys
    ring = KIT.keyring()
    partial = Keyring(
        [
            key
            for key in (
                ring.resolve(Layer.BRAND, k.brand_kid),
                ring.resolve(Layer.SERVICE, k.service_kid),
            )
            if key is not None
        ]
    )
    r = verify_payload(ITEM_PAYLOAD, partial)
    assert r.reason is Reason.UNKNOWN_KID
    assert r.failed_layer is Layer.LINE
    assert r.layer(Layer.BRAND).outcome is LayerOutcome.OK
    assert r.layer(Layer.SERVICE).outcome is LayerOutcome.OK


@pytest.mark.parametrize("layer", list(Layer))
def test_revoked_key(layer: Layer) -> None:
    ring = KIT.keyring(**{layer.value: KeyStatus.REVOKED})
    r = verify_payload(ITEM_PAYLOAD, ring)
    assert not r.ok
    assert r.reason is Reason.REVOKED_KEY
    assert r.failed_layer is layer


def test_retired_keys_still_verify() -> None:
    ring = KIT.keyring(KeyStatus.RETIRED, KeyStatus.RETIRED, KeyStatus.RETIRED)
    assert verify_payload(ITEM_PAYLOAD, ring).ok


def test_rotation_old_and_new_keys_verify_side_by_side() -> None:
    new = make_kit(brand_kid="B2", service_kid="S2", line_kid="L2")
    old_ring = KIT.keyring(KeyStatus.RETIRED, KeyStatus.RETIRED, KeyStatus.RETIRED)
    ring = Keyring()
    for lay, kid in zip(Layer, ["B1x9", "S7q2", "L0a4"], strict=True):
        key = old_ring.resolve(lay, kid)
        assert key is not None
        ring.add(key)
    for lay, kid in zip(Layer, ["B2", "S2", "L2"], strict=True):
        key = new.keyring().resolve(lay, kid)
        assert key is not None
        ring.add(key)
    assert verify_payload(ITEM_PAYLOAD, ring).ok
    assert verify_payload(new.signer.issue(item("newSerial001")), ring).ok


def test_batch_checks() -> None:
    code = item().code
    r = verify_payload(ITEM_PAYLOAD, RING, batch_lookup={})
    assert r.reason is Reason.UNKNOWN_CODE
    assert r.failed_layer is None
    r = verify_payload(ITEM_PAYLOAD, RING, batch_lookup={code: "b-1"}, revoked_batches={"b-1"})
    assert r.reason is Reason.REVOKED_BATCH
    assert r.batch_id == "b-1"
    r = verify_payload(ITEM_PAYLOAD, RING, batch_lookup={code: "b-1"}, revoked_batches={"b-2"})
    assert r.ok
    assert r.batch_id == "b-1"
    # A crypto failure outranks the registry result.
    r = verify_payload(ITEM_PAYLOAD, KIT.keyring(brand=KeyStatus.REVOKED), batch_lookup={})
    assert r.reason is Reason.REVOKED_KEY


def test_offline_mode_public_keys_only() -> None:
    r = verify_offline(ITEM_PAYLOAD, PUBLIC)
    assert r.ok
    assert r.layer(Layer.BRAND).outcome is LayerOutcome.OK
    assert r.layer(Layer.SERVICE).outcome is LayerOutcome.NOT_CHECKED
    assert r.layer(Layer.LINE).outcome is LayerOutcome.NOT_CHECKED
    # Online verification with only public keys cannot pass the MAC layers.
    r = verify_payload(ITEM_PAYLOAD, PUBLIC)
    assert r.reason is Reason.UNKNOWN_KID
    assert r.failed_layer is Layer.SERVICE
    with pytest.raises(ValueError):
        verify_payload(ITEM_PAYLOAD, PUBLIC, layers=())


def test_leaked_brand_key_alone_fails_online() -> None:
    # An attacker with the brand private key (but not the service/line secrets) re-signs a
    # payload for a new serial with made-up MACs: offline passes, online fails.
    from codegen.signing import CodeSigner, SigningKeys

    forged_keys = SigningKeys(
        brand_kid=KIT.keys.brand_kid,
        brand_private_key=KIT.keys.brand_private_key,
        service_kid=KIT.keys.service_kid,
        service_secret=b"\x00" * 32,
        line_kid=KIT.keys.line_kid,
        line_secret=b"\x01" * 32,
    )
    forged = CodeSigner(HOST20, forged_keys).issue(item("forged000001"))
    assert verify_offline(forged, PUBLIC).ok
    r = verify_payload(forged, RING)
    assert r.reason is Reason.BAD_SIGNATURE
    assert r.failed_layer is Layer.SERVICE
    assert r.layer(Layer.LINE).reason is Reason.BAD_SIGNATURE


def test_result_to_dict() -> None:
    d = verify_payload(ITEM_PAYLOAD, RING).to_dict()
    assert d["ok"] is True
    assert [x["layer"] for x in d["layers"]] == ["brand", "service", "line"]
