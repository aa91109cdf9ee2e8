"""Pure helpers of consumer verification: inner codes, regions, signature mapping, texts."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from shapely.geometry import box

from codegen.inner_codes import (
    canonical_pin,
    keyed_hash,
    legacy_hash,
    pin_key,
    pin_matches,
    pin_problem,
)
from codegen.verify import Keyring, verify_payload
from geo.regions import RegionMap, coarse_label
from risk_engine.consumer import LoyaltyReason
from risk_engine.models import SignatureCheck
from scan_api.verify.models import NOT_AN_ITEM
from scan_api.verify.rows import loyalty_text, signature_check


def test_pins_are_compared_in_canonical_form_under_a_key() -> None:
    key = pin_key(b"m" * 32)
    stored = keyed_hash(key, "ab12-cd34")
    assert canonical_pin(" ab12-cd 34 ") == "AB12CD34"
    assert stored == hmac.new(key, b"AB12CD34", hashlib.sha256).digest()
    assert stored != hashlib.sha256(b"AB12CD34").digest()  # a stolen table is no pin list
    assert pin_matches("AB12 CD34", stored, True, key)
    assert not pin_matches("AB12CD35", stored, True, key)
    assert not pin_matches("AB12CD34", stored, True, pin_key(b"n" * 32))  # another key
    assert not pin_matches("AB12CD34", None, True, key)  # no stored inner code: no match


def test_hashes_stored_before_keying_still_match() -> None:
    key = pin_key(b"m" * 32)
    legacy = hashlib.sha256(b"AB12CD34").digest()
    assert legacy_hash("ab12 cd34") == legacy
    assert pin_matches("ab12-cd34", legacy, False, key)
    assert not pin_matches("ab12-cd34", legacy, True, key)


@pytest.mark.parametrize(
    ("pin", "ok"),
    [
        ("AB12-CD34", True),
        ("abc123", True),
        ("ab 12", False),
        ("AB12_CD34", False),
        ("x" * 33, False),
        ("ßßß", False),  # upper() makes it SSSSSS: stored, yet no consumer could type it
        ("ABCD-" * 7 + "ABCD", False),  # 39 characters as printed: verify takes 32
    ],
)
def test_uploaded_pins_need_six_to_32_letters_or_digits(pin: str, ok: bool) -> None:
    assert (pin_problem(pin) is None) is ok


def test_regions_prefer_the_smallest_territory_holding_the_point() -> None:
    regions = RegionMap(
        {
            "cn": ("China", box(73, 18, 135, 54)),
            "sh": ("Shanghai", box(120.8, 30.7, 122.0, 31.9)),
        }
    )
    assert regions.region(31.2, 121.4).key == "territory:sh"
    assert regions.region(31.2, 121.4).label == "Shanghai"
    assert regions.region(39.9, 116.4).label == "China"
    outside = regions.region(48.8566, 2.3522)
    assert outside.label == "48.9, 2.4"
    assert outside.key.startswith("cell:")
    assert RegionMap({}).region(1.0, 2.0).label == "1.0, 2.0"


def test_coarse_labels_hide_the_exact_position() -> None:
    assert coarse_label(31.23456, 121.47891) == "31.2, 121.5"
    assert coarse_label(-0.04, -0.04) == "0.0, 0.0"


def test_signature_mapping() -> None:
    malformed = verify_payload("not a payload", Keyring())
    assert signature_check(malformed) is SignatureCheck.MALFORMED


@pytest.mark.parametrize(
    ("points", "reason", "text"),
    [
        (10, None, "You earned 10 points."),
        (0, LoyaltyReason.INNER_CODE_REQUIRED.value, "No points: enter the code printed inside"),
        (0, NOT_AN_ITEM, "item codes only"),
        (0, LoyaltyReason.NOT_GENUINE.value, ""),
    ],
)
def test_loyalty_texts(points: int, reason: str | None, text: str) -> None:
    assert loyalty_text(points, reason).startswith(text) or text in loyalty_text(points, reason)


def test_every_registry_reason_has_a_consumer_outcome() -> None:
    from codegen.verify import Reason
    from scan_api.verify.rows import _SIGNATURE

    assert set(_SIGNATURE) == set(Reason)
    assert _SIGNATURE == {
        Reason.MALFORMED: SignatureCheck.MALFORMED,
        Reason.UNKNOWN_KID: SignatureCheck.BAD_SIGNATURE,  # a key the brand never had
        Reason.BAD_SIGNATURE: SignatureCheck.BAD_SIGNATURE,
        Reason.REVOKED_KEY: SignatureCheck.REVOKED_KEY,
        Reason.UNKNOWN_CODE: SignatureCheck.UNKNOWN_CODE,
        Reason.REVOKED_BATCH: SignatureCheck.REVOKED_BATCH,
    }
