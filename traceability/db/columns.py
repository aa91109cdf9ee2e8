"""What column types give back, for rows built in Python that must equal rows read back."""

from __future__ import annotations

import struct


def float4(value: float | None) -> float | None:
    """What a `real` column gives back for `value`."""
    return None if value is None else float(struct.unpack("f", struct.pack("f", value))[0])
