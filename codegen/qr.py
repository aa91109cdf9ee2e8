"""QR rendering: PNG (1-bit grayscale, hand-written encoder) and SVG, EC level M.

The symbol is built by zxing-cpp's C++ writer (the fastest candidate measured, see
``benchmarks/bench_codegen_pure.py``); zxing-cpp picks the smallest segmentation, which is never
larger than pure byte mode, so the byte-mode budget in ``docs/code-format.md`` (version <= 10
at level M for the reference case) is an upper bound. The tests decode the PNG with zxing-cpp
and with OpenCV's independent QR decoder.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any, Final, cast

import zxingcpp

__all__ = ["QUIET_ZONE", "QrSymbol", "qr_symbol", "qr_version", "render_png", "render_svg"]

#: Quiet zone around the symbol, in modules (ISO/IEC 18004 minimum).
QUIET_ZONE: Final = 4
_MAX_LEN: Final = 1024
_PRINTABLE_ASCII: Final = re.compile(r"[\x21-\x7e]+")
# zxing-cpp images: 0 = dark module, 255 = light. PNG 1-bit grayscale: 0 = black, 1 = white.
_TO_BITS: Final = bytes(0x31 if i else 0x30 for i in range(256))
_DARK_RUN: Final = re.compile(rb"\x00+")
_PNG_SIG: Final = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class QrSymbol:
    """A QR symbol without quiet zone: ``size`` x ``size`` modules, row-major, 0 = dark."""

    version: int
    size: int
    modules: bytes

    def row(self, y: int) -> bytes:
        return self.modules[y * self.size : (y + 1) * self.size]

    def is_dark(self, x: int, y: int) -> bool:
        return self.modules[y * self.size + x] == 0


def qr_symbol(payload: str) -> QrSymbol:
    """Encode ``payload`` (printable ASCII) as a QR symbol at error-correction level M."""
    if not isinstance(payload, str) or len(payload) > _MAX_LEN:
        raise ValueError("payload must be a string of at most 1024 characters")
    if not _PRINTABLE_ASCII.fullmatch(payload):
        raise ValueError("payload must be printable ASCII")
    barcode = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = barcode.to_image(scale=1, add_quiet_zones=False)
    size = int(image.shape[0])
    if image.shape[1] != size or (size - 17) % 4:
        raise RuntimeError("unexpected QR symbol shape")
    modules = bytes(memoryview(cast(Any, image)))  # zxingcpp.Image exposes the buffer protocol
    return QrSymbol(version=(size - 17) // 4, size=size, modules=modules)


def qr_version(payload: str) -> int:
    """QR version (1..40) of the level-M symbol for ``payload``."""
    return qr_symbol(payload).version


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def render_png(payload: str, *, scale: int = 4, border: int = QUIET_ZONE) -> bytes:
    """PNG (1-bit grayscale) of the QR code: ``scale`` pixels per module, ``border`` modules of
    quiet zone (at least 4)."""
    if not 1 <= scale <= 64:
        raise ValueError("scale must be 1..64")
    if not QUIET_ZONE <= border <= 64:
        raise ValueError("border must be 4..64 modules")
    sym = qr_symbol(payload)
    width = (sym.size + 2 * border) * scale
    pad = -width % 8
    quiet = b"1" * (border * scale)
    tail = quiet + b"1" * pad
    nbytes = (width + pad) // 8
    blank = b"\x00" + b"\xff" * nbytes
    zeros, ones = b"0" * scale, b"1" * scale
    lines: list[bytes] = [blank] * (border * scale)
    for y in range(sym.size):
        bits = sym.row(y).translate(_TO_BITS)
        if scale > 1:
            bits = bits.replace(b"0", zeros).replace(b"1", ones)
        line = b"\x00" + int(quiet + bits + tail, 2).to_bytes(nbytes, "big")
        lines.extend([line] * scale)
    lines.extend([blank] * (border * scale))
    ihdr = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"".join(lines), 6)
    return (
        _PNG_SIG + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")
    )


def render_svg(payload: str, *, scale: int = 4, border: int = QUIET_ZONE) -> str:
    """SVG of the QR code: one path of dark runs on a white background, ``border`` modules of
    quiet zone; ``scale`` sets the nominal pixel size per module."""
    if not 1 <= scale <= 64:
        raise ValueError("scale must be 1..64")
    if not QUIET_ZONE <= border <= 64:
        raise ValueError("border must be 4..64 modules")
    sym = qr_symbol(payload)
    dim = sym.size + 2 * border
    parts: list[str] = []
    for y in range(sym.size):
        for run in _DARK_RUN.finditer(sym.row(y)):
            n = run.end() - run.start()
            parts.append(f"M{run.start() + border} {y + border}h{n}v1h-{n}z")
    px = dim * scale
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{px}" height="{px}" '
        f'viewBox="0 0 {dim} {dim}" shape-rendering="crispEdges">'
        f'<rect width="{dim}" height="{dim}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(parts)}"/></svg>\n'
    )
