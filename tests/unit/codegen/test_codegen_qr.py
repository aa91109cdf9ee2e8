from __future__ import annotations

import io
import re

import pytest
import segno
import zxingcpp
from codegen_testkit import container, item, make_kit
from PIL import Image

from codegen.qr import QUIET_ZONE, qr_symbol, qr_version, render_png, render_svg

KIT = make_kit()
PAYLOAD = KIT.signer.issue(item())  # 213 chars: the size case with 4-char kids


def _decode_zxing(img: Image.Image) -> list[zxingcpp.Barcode]:
    return [b for b in zxingcpp.read_barcodes(img) if b.format == zxingcpp.BarcodeFormat.QRCode]


def test_size_case_fits_version_10_m() -> None:
    assert len(PAYLOAD) == 213
    assert qr_version(PAYLOAD) <= 10
    # Budget proof for pure byte mode too (segno, mode forced): 213 bytes is v10-M capacity.
    q = segno.make_qr(PAYLOAD, error="m", mode="byte", boost_error=False)
    assert q.version == 10
    assert q.error == "M"


def test_png_decodes_byte_for_byte_with_zxing() -> None:
    for payload in (PAYLOAD, KIT.signer.issue(container())):
        png = render_png(payload)
        img = Image.open(io.BytesIO(png))
        img.load()
        assert img.mode == "1"
        size = (qr_symbol(payload).size + 2 * QUIET_ZONE) * 4
        assert img.size == (size, size)
        found = _decode_zxing(img)
        assert len(found) == 1
        assert found[0].bytes == payload.encode("ascii")
        assert found[0].text == payload
        extra = found[0].extra
        assert isinstance(extra, dict)
        assert extra["ECLevel"] == "M"
        assert int(extra["Version"]) <= 10


def test_png_decodes_with_opencv_independent_decoder() -> None:
    cv2 = pytest.importorskip("cv2")
    np = pytest.importorskip("numpy")
    # OpenCV's classic QRCodeDetector misreads ~3 % of valid symbols (measured: 8 of 300
    # random SSCC payloads at scale 4, at every scale); its Aruco-based detector read all 300.
    detector = cv2.QRCodeDetectorAruco()
    for payload in (PAYLOAD, *(KIT.signer.issue(container()) for _ in range(20))):
        img = Image.open(io.BytesIO(render_png(payload))).convert("L")
        text, _points, _ = detector.detectAndDecode(np.asarray(img))
        assert text == payload


def test_png_quiet_zone_is_white() -> None:
    img = Image.open(io.BytesIO(render_png(PAYLOAD, scale=2))).convert("L")
    w, h = img.size
    border = QUIET_ZONE * 2
    px = img.load()
    assert px is not None
    for x in range(w):
        for y in list(range(border)) + list(range(h - border, h)):
            assert px[x, y] == 255
            assert px[y, x] == 255
    assert px[border, border] == 0  # finder pattern corner


def test_png_scale_one_and_params() -> None:
    img = Image.open(io.BytesIO(render_png(PAYLOAD, scale=3, border=6)))
    assert img.size[0] == (qr_symbol(PAYLOAD).size + 12) * 3
    assert _decode_zxing(img)[0].text == PAYLOAD
    with pytest.raises(ValueError):
        render_png(PAYLOAD, border=2)
    with pytest.raises(ValueError):
        render_png("caf\u00e9")


def test_svg_matches_symbol_and_decodes() -> None:
    svg = render_svg(PAYLOAD)
    sym = qr_symbol(PAYLOAD)
    dim = sym.size + 2 * QUIET_ZONE
    assert f'viewBox="0 0 {dim} {dim}"' in svg
    # Rebuild the module grid from the path and compare with the symbol.
    grid = [[255] * dim for _ in range(dim)]
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        for dx in range(int(n)):
            grid[int(y)][int(x) + dx] = 0
    for y in range(sym.size):
        row = bytes(grid[y + QUIET_ZONE][QUIET_ZONE : QUIET_ZONE + sym.size])
        assert row == sym.row(y)
    img = Image.frombytes("L", (dim, dim), bytes(v for r in grid for v in r))
    img = img.resize((dim * 4, dim * 4), Image.Resampling.NEAREST)
    assert _decode_zxing(img)[0].text == PAYLOAD
