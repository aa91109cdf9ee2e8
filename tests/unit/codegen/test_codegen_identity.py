from __future__ import annotations

import math
import re
from collections import Counter

import pytest
from biip.gtin import Gtin
from biip.sscc import Sscc as BiipSscc
from hypothesis import given
from hypothesis import strategies as st

from codegen.identity import (
    GENERATED_SERIAL_ALPHABET,
    URL_SAFE_CSET82,
    IdentityError,
    Sgtin,
    Sscc,
    build_sscc,
    generate_serial,
    generate_serials,
    gs1_check_digit,
    normalize_gtin,
    parse_code,
    validate_lot,
    validate_serial,
    validate_sscc,
)

# GS1 CSET 82 (GS1 General Specifications, figure 7.11-1).
CSET82 = set("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
RFC3986_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def test_alphabets_are_cset82_and_url_unreserved() -> None:
    assert set(URL_SAFE_CSET82) == CSET82 & RFC3986_UNRESERVED
    assert set(GENERATED_SERIAL_ALPHABET) <= set(URL_SAFE_CSET82)
    assert len(set(GENERATED_SERIAL_ALPHABET)) == 62


@pytest.mark.parametrize("gtin", ["09506000134352", "9506000134352", "96385074", "012345678905"])
def test_normalize_gtin_matches_biip(gtin: str) -> None:
    assert normalize_gtin(gtin) == Gtin.parse(gtin).as_gtin_14()


@pytest.mark.parametrize("bad", ["09506000134353", "123", "", "0950600013435x", "٠٩٥٠٦٠٠٠١٣٤٣٥٢"])
def test_normalize_gtin_rejects(bad: str) -> None:
    with pytest.raises(IdentityError):
        normalize_gtin(bad)


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_check_digit_agrees_with_biip(body: str) -> None:
    gtin = body + str(gs1_check_digit(body))
    assert Gtin.parse(gtin).as_gtin_14() == gtin


@pytest.mark.parametrize("lot", ["A", "L2026.1A", "a-b_c.d", "x" * 20, "..x"])
def test_lot_ok(lot: str) -> None:
    assert validate_lot(lot) == lot
    assert validate_serial(lot) == lot


@pytest.mark.parametrize("lot", ["", "x" * 21, ".", "..", "a/b", "a b", "a%2F", "a~b", "é", "a\n"])
def test_lot_rejected(lot: str) -> None:
    with pytest.raises(IdentityError):
        validate_lot(lot)


def test_generated_serial_shape_and_uniqueness() -> None:
    serials = generate_serials(20_000)
    assert len(set(serials)) == 20_000
    assert all(re.fullmatch(r"[0-9A-Za-z]{12}", s) for s in serials)
    # Entropy shape: every alphabet symbol appears at every position with roughly equal
    # frequency (not sequential, not biased toward the low end).
    counts = Counter(c for s in serials for c in s)
    assert set(counts) == set(GENERATED_SERIAL_ALPHABET)
    expected = 20_000 * 12 / 62
    assert all(abs(n - expected) < 6 * math.sqrt(expected) for n in counts.values())
    first = Counter(s[0] for s in serials)
    assert len(first) == 62
    assert 12 * math.log2(62) > 71


def test_serials_are_not_sequential() -> None:
    a, b = generate_serial(), generate_serial()
    assert a != b
    assert sum(x == y for x, y in zip(a, b, strict=True)) < 6


def test_sscc_built_is_valid_for_biip() -> None:
    for ref in (None, None, 0, 123456789):
        sscc = build_sscc(3, "9506000", ref)
        assert len(sscc) == 18
        parsed = BiipSscc.parse(sscc)
        assert parsed.value == sscc
        assert parsed.extension_digit == 3
        assert validate_sscc(sscc) == sscc


def test_sscc_rejects() -> None:
    sscc = build_sscc(0, "9506000", 42)
    wrong = sscc[:17] + str((int(sscc[17]) + 1) % 10)
    with pytest.raises(IdentityError):
        validate_sscc(wrong)
    with pytest.raises(IdentityError):
        build_sscc(10, "9506000")
    with pytest.raises(IdentityError):
        build_sscc(0, "123")
    with pytest.raises(IdentityError):
        build_sscc(0, "9506000", 10**9)


def test_code_round_trip() -> None:
    item = Sgtin("09506000134352", "L2026.1A", "aZ3kQ9mX2pL7")
    assert item.code == "sgtin:09506000134352:L2026.1A:aZ3kQ9mX2pL7"
    assert parse_code(item.code) == item
    box = Sscc(build_sscc(1, "9506000", 7))
    assert parse_code(box.code) == box
    for bad in ["sgtin:09506000134352:L1", "sscc:123", "sgtin:09506000134353:L:S", "x"]:
        with pytest.raises(IdentityError):
            parse_code(bad)


lots = st.text(alphabet=URL_SAFE_CSET82, min_size=1, max_size=20).filter(lambda s: s.strip("."))


@given(lot=lots, serial=lots)
def test_code_round_trip_property(lot: str, serial: str) -> None:
    item = Sgtin("09506000134352", lot, serial)
    assert "/" not in item.code
    assert parse_code(item.code) == item
