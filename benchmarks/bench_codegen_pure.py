"""Pure codegen benchmark: signing baseline vs. full issuing, and QR rendering candidates.

Run: ``.venv/bin/python benchmarks/bench_codegen_pure.py [--seconds 2]``. Everything runs in
one process on one core, in the same run, so the ratios are comparable.
Targets: issue_code/s >= 0.5 x raw Ed25519 sign/s; QR PNG/s >= 500.
"""

from __future__ import annotations

import argparse
import io
import struct
import time
import zlib
from collections.abc import Callable

from codegen.identity import Sgtin, generate_serials
from codegen.keys_crypto import (
    generate_brand_keypair,
    generate_mac_secret,
    load_private_key,
)
from codegen.payload import BRAND_DOMAIN, Layer
from codegen.qr import render_png, render_svg
from codegen.signing import CodeSigner, SigningKeys
from codegen.verify import Keyring, VerifyKey, verify_offline, verify_payload

HOST = "verify.sealtrace.com"  # 20 characters: the size case
GTIN = "09506000134352"
LOT = "L2026.1A"


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds`` (after one warm-up call)."""
    fn()
    n, batch = 0, 1
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        n += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed
        batch = min(batch * 2, 1024)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def segno_matrix_handrolled_png(payload: str) -> bytes:
    """Candidate: segno matrix + minimal 1-bit PNG writer (isolates segno's encoding cost)."""
    import segno

    q = segno.make_qr(payload, error="m", mode="byte", boost_error=False)
    rows = []
    for row in q.matrix_iter(scale=4, border=4):
        bits = "".join("0" if v else "1" for v in row)
        bits += "1" * (-len(bits) % 8)
        rows.append(b"\x00" + int(bits, 2).to_bytes(len(bits) // 8, "big"))
    width = len(rows)
    ihdr = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + _png_chunk(b"IEND", b"")
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = ap.parse_args()
    secs: float = args.seconds

    bk = generate_brand_keypair()
    keys = SigningKeys(
        brand_kid="B1x9",
        brand_private_key=load_private_key(bk.private_raw),
        service_kid="S7q2",
        service_secret=generate_mac_secret(),
        line_kid="L0a4",
        line_secret=generate_mac_secret(),
    )
    signer = CodeSigner(HOST, keys)
    payload = signer.issue(Sgtin(GTIN, LOT, "aZ3kQ9mX2pL7"))
    body = payload.split("&8030=")[0]
    brand_msg = BRAND_DOMAIN + body.encode("ascii")

    print(f"payload ({len(payload)} chars): {payload}")
    print()

    # --- signing baseline vs. full issue -------------------------------------------------
    sign = keys.brand_private_key.sign
    raw = rate(lambda: sign(brand_msg), secs)

    serials = generate_serials(200_000)
    it = iter(serials)

    def one_issue() -> None:
        # Full issue of one item: both MACs + Ed25519 + payload string, with per-serial
        # validation, as the batch endpoint does it.
        next(signer.issue_items(GTIN, LOT, (next(it),)))

    def bulk_issue() -> None:
        for _ in signer.issue_items(GTIN, LOT, serials[:1000]):
            pass

    single = rate(one_issue, secs)
    bulk = rate(bulk_issue, secs) * 1000
    serial_rate = rate(lambda: generate_serials(1000), secs) * 1000

    ring = Keyring(
        [
            VerifyKey.brand("B1x9", keys.brand_private_key.public_key()),
            VerifyKey.mac(Layer.SERVICE, "S7q2", keys.service_secret),
            VerifyKey.mac(Layer.LINE, "L0a4", keys.line_secret),
        ]
    )
    online = rate(lambda: verify_payload(payload, ring), secs)
    offline = rate(lambda: verify_offline(payload, ring), secs)

    print("signing (single core, same run)")
    print(f"  raw Ed25519 sign/s (baseline, {len(brand_msg)}-byte msg): {raw:10.0f}")
    print(f"  issue_items, one code per call /s:              {single:10.0f}")
    print(f"  issue_items, bulk (1000 per call) /s:           {bulk:10.0f}")
    print(f"  ratio bulk issue / raw sign:                    {bulk / raw:10.2f}  (target >= 0.5)")
    print(f"  ratio single issue / raw sign:                  {single / raw:10.2f}")
    print(f"  generate_serials /s:                            {serial_rate:10.0f}")
    print(f"  verify_payload (3 layers) /s:                   {online:10.0f}")
    print(f"  verify_offline (brand only) /s:                 {offline:10.0f}")
    print()

    # --- QR candidates -------------------------------------------------------------------
    candidates: dict[str, Callable[[], object]] = {
        "codegen.qr.render_png (zxing-cpp matrix + hand-rolled 1-bit PNG)": lambda: render_png(
            payload
        ),
        "codegen.qr.render_svg (zxing-cpp matrix + path runs)": lambda: render_svg(payload),
    }
    try:
        import zxingcpp
        from PIL import Image

        def zxing_pil() -> bytes:
            bc = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
            img = Image.fromarray(bc.to_image(scale=4, add_quiet_zones=True)).convert("1")
            out = io.BytesIO()
            img.save(out, format="PNG")
            return out.getvalue()

        candidates["zxing-cpp to_image + Pillow PNG"] = zxing_pil
    except ImportError:
        print("  (zxing-cpp or Pillow missing)")
    try:
        import segno

        def segno_png() -> bytes:
            out = io.BytesIO()
            segno.make_qr(payload, error="m", mode="byte", boost_error=False).save(
                out, kind="png", scale=4, border=4
            )
            return out.getvalue()

        candidates["segno (byte mode) PNG"] = segno_png
        candidates["segno matrix + hand-rolled 1-bit PNG"] = lambda: segno_matrix_handrolled_png(
            payload
        )
    except ImportError:
        print("  (segno missing)")
    try:
        import qrcode
        import qrcode.constants

        def qrcode_png() -> bytes:
            qr = qrcode.QRCode(
                error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=4
            )
            qr.add_data(payload, optimize=0)
            qr.make(fit=True)
            out = io.BytesIO()
            qr.make_image().save(out)
            return out.getvalue()

        candidates["qrcode + Pillow PNG"] = qrcode_png
    except ImportError:
        print("  (qrcode missing)")

    print("QR rendering, payload above, EC level M, scale 4, quiet zone 4 (target PNG >= 500/s)")
    for name, fn in candidates.items():
        print(f"  {name:66s} {rate(fn, secs):8.0f}/s")


if __name__ == "__main__":
    main()
