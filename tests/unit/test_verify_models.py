"""Pure helpers of consumer verification: inner codes, regions, signature mapping, texts."""

from __future__ import annotations

import hashlib

import pytest
from shapely.geometry import box

from codegen.verify import Keyring, verify_payload
from geo.regions import RegionMap, coarse_label
from risk_engine.consumer import LoyaltyReason
from risk_engine.models import SignatureCheck
from scan_api.verify.models import (
    NOT_AN_ITEM,
    canonical_pin,
    loyalty_text,
    pin_hash,
    pin_matches,
    signature_check,
)


def test_pins_are_compared_in_canonical_form() -> None:
    stored = hashlib.sha256(b"AB12CD34").digest()
    assert canonical_pin(" ab12-cd 34 ") == "AB12CD34"
    assert pin_hash("ab12-cd34") == stored
    assert pin_matches("AB12 CD34", stored)
    assert not pin_matches("AB12CD35", stored)
    assert not pin_matches("AB12CD34", None)  # no stored inner code: nothing matches


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
    from scan_api.verify.models import _SIGNATURE

    assert set(_SIGNATURE) == set(Reason)
    assert _SIGNATURE == {
        Reason.MALFORMED: SignatureCheck.MALFORMED,
        Reason.UNKNOWN_KID: SignatureCheck.BAD_SIGNATURE,  # a key the brand never had
        Reason.BAD_SIGNATURE: SignatureCheck.BAD_SIGNATURE,
        Reason.REVOKED_KEY: SignatureCheck.REVOKED_KEY,
        Reason.UNKNOWN_CODE: SignatureCheck.UNKNOWN_CODE,
        Reason.REVOKED_BATCH: SignatureCheck.REVOKED_BATCH,
    }
