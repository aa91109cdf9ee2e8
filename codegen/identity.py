"""GS1 identities: SGTIN for items, SSCC for cases and pallets, and the canonical ``code``.

Character rules (see ``docs/code-format.md``):

* Lots and serials are 1..20 characters of ``[A-Za-z0-9._-]``: the part of GS1 CSET 82 that
  RFC 3986 calls *unreserved*, so a lot or serial sits in a URL path segment (and in the
  canonical code) byte for byte, never percent-encoded. A value made only of dots is refused,
  because ``.`` and ``..`` are dot-segments that URL normalisation would remove.
* Generated serials are 12 characters of ``[0-9A-Za-z]`` drawn with :mod:`secrets`
  (62**12 ~ 2**71.4 possibilities).
* Canonical codes: ``sgtin:{gtin14}:{lot}:{serial}`` and ``sscc:{sscc18}``. ``:`` never occurs
  in a lot or serial, so the code splits back unambiguously, and it contains no ``/``, so it
  fits in one URL path segment.
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from traceability.frozen import fast_init

__all__ = [
    "GENERATED_SERIAL_ALPHABET",
    "GENERATED_SERIAL_LENGTH",
    "URL_SAFE_CSET82",
    "Identity",
    "IdentityError",
    "Sgtin",
    "Sscc",
    "build_sscc",
    "generate_serial",
    "generate_serials",
    "gs1_check_digit",
    "normalize_gtin",
    "parse_code",
    "validate_lot",
    "validate_serial",
    "validate_sscc",
]

#: Characters allowed in lots and serials: CSET 82 intersected with RFC 3986 "unreserved".
URL_SAFE_CSET82: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._"
#: Alphabet of generated serials (subset of :data:`URL_SAFE_CSET82`).
GENERATED_SERIAL_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
GENERATED_SERIAL_LENGTH: Final = 12

_LOT_SERIAL_RE: Final = re.compile(r"[A-Za-z0-9._-]{1,20}")
_DIGITS_RE: Final = re.compile(r"[0-9]+")
_CODE_SGTIN_RE: Final = re.compile(
    r"sgtin:(?P<gtin>[0-9]{14}):(?P<lot>[A-Za-z0-9._-]{1,20}):(?P<serial>[A-Za-z0-9._-]{1,20})"
)
_CODE_SSCC_RE: Final = re.compile(r"sscc:(?P<sscc>[0-9]{18})")


class IdentityError(ValueError):
    """An identity component (GTIN, lot, serial, SSCC, code) is not valid."""


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10 check digit for ``body`` (all digits, without the check digit)."""
    if not _DIGITS_RE.fullmatch(body):
        raise IdentityError("check digit body must be ASCII digits")
    total = 0
    # The rightmost body digit has weight 3, then alternating 1, 3, ...
    for i, ch in enumerate(reversed(body)):
        total += (ord(ch) - 48) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def normalize_gtin(gtin: str) -> str:
    """Validate a GTIN-8/12/13/14 (check digit included) and return it as GTIN-14."""
    if not isinstance(gtin, str):
        raise IdentityError("GTIN must be 8, 12, 13 or 14 ASCII digits")
    return _normalized_gtin(gtin)


@functools.lru_cache(maxsize=4096)
def _normalized_gtin(gtin: str) -> str:
    """Memoized: a brand has a few hundred products and every scan's payload names one (the
    check digit in Python was half the cost of parsing a payload). Errors are not cached."""
    if not _DIGITS_RE.fullmatch(gtin):
        raise IdentityError("GTIN must be 8, 12, 13 or 14 ASCII digits")
    if len(gtin) not in (8, 12, 13, 14):
        raise IdentityError("GTIN must be 8, 12, 13 or 14 digits long")
    gtin14 = gtin.rjust(14, "0")
    if gs1_check_digit(gtin14[:13]) != ord(gtin14[13]) - 48:
        raise IdentityError("GTIN check digit is wrong")
    return gtin14


def _validate_lot_or_serial(value: str, what: str) -> str:
    if not isinstance(value, str) or not _LOT_SERIAL_RE.fullmatch(value):
        raise IdentityError(f"{what} must be 1..20 characters of [A-Za-z0-9._-]")
    if value.strip(".") == "":
        raise IdentityError(f"{what} must not consist of dots only")
    return value


def validate_lot(lot: str) -> str:
    """Return ``lot`` if it is 1..20 chars of ``[A-Za-z0-9._-]`` and not only dots."""
    return _validate_lot_or_serial(lot, "lot")


def validate_serial(serial: str) -> str:
    """Return ``serial`` if it is 1..20 chars of ``[A-Za-z0-9._-]`` and not only dots."""
    return _validate_lot_or_serial(serial, "serial")


_SERIAL_SPACE: Final = len(GENERATED_SERIAL_ALPHABET) ** GENERATED_SERIAL_LENGTH
_SERIAL_BITS: Final = _SERIAL_SPACE.bit_length()  # 72


def generate_serial() -> str:
    """A fresh random serial: 12 chars of ``[0-9A-Za-z]`` (~71.4 bits from :mod:`secrets`).

    Uniform by rejection sampling: draw 72 random bits until the value is below 62**12.
    """
    n = secrets.randbits(_SERIAL_BITS)
    while n >= _SERIAL_SPACE:
        n = secrets.randbits(_SERIAL_BITS)
    alphabet = GENERATED_SERIAL_ALPHABET
    chars = []
    for _ in range(GENERATED_SERIAL_LENGTH):
        n, r = divmod(n, 62)
        chars.append(alphabet[r])
    return "".join(chars)


def generate_serials(count: int) -> list[str]:
    """``count`` distinct random serials (duplicates, vanishingly rare, are redrawn)."""
    if count < 0:
        raise ValueError("count must be >= 0")
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        s = generate_serial()
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def validate_sscc(sscc: str) -> str:
    """Return ``sscc`` if it is 18 ASCII digits with a correct GS1 check digit."""
    if not isinstance(sscc, str) or len(sscc) != 18 or not _DIGITS_RE.fullmatch(sscc):
        raise IdentityError("SSCC must be 18 ASCII digits")
    if gs1_check_digit(sscc[:17]) != ord(sscc[17]) - 48:
        raise IdentityError("SSCC check digit is wrong")
    return sscc


def build_sscc(
    extension_digit: int, company_prefix: str, serial_reference: int | None = None
) -> str:
    """Build an SSCC-18: extension digit + GS1 company prefix + serial reference + check digit.

    ``company_prefix`` is 4..12 digits; the serial reference fills the remaining
    ``16 - len(company_prefix)`` digits. When ``serial_reference`` is ``None`` it is drawn
    with :mod:`secrets` (uniform over the whole range), else it must fit in that many digits.
    """
    if not isinstance(extension_digit, int) or not 0 <= extension_digit <= 9:
        raise IdentityError("SSCC extension digit must be 0..9")
    if (
        not isinstance(company_prefix, str)
        or not _DIGITS_RE.fullmatch(company_prefix)
        or not 4 <= len(company_prefix) <= 12
    ):
        raise IdentityError("GS1 company prefix must be 4..12 ASCII digits")
    ref_len = 16 - len(company_prefix)
    if serial_reference is None:
        serial_reference = secrets.randbelow(10**ref_len)
    elif not 0 <= serial_reference < 10**ref_len:
        raise IdentityError(f"serial reference must fit in {ref_len} digits")
    body = f"{extension_digit}{company_prefix}{serial_reference:0{ref_len}d}"
    return body + str(gs1_check_digit(body))


@fast_init
@dataclass(frozen=True, slots=True)
class Sgtin:
    """An item identity: GTIN-14 + lot + serial (validated on construction)."""

    gtin: str
    lot: str
    serial: str

    level: Literal["item"] = "item"

    def __post_init__(self) -> None:
        if normalize_gtin(self.gtin) != self.gtin:
            raise IdentityError("Sgtin.gtin must be a GTIN-14")
        validate_lot(self.lot)
        validate_serial(self.serial)

    @property
    def code(self) -> str:
        """Canonical code ``sgtin:{gtin14}:{lot}:{serial}``."""
        return f"sgtin:{self.gtin}:{self.lot}:{self.serial}"

    @property
    def path(self) -> str:
        """GS1 Digital Link path ``/01/{gtin}/10/{lot}/21/{serial}``."""
        return f"/01/{self.gtin}/10/{self.lot}/21/{self.serial}"


@fast_init
@dataclass(frozen=True, slots=True)
class Sscc:
    """A logistic unit (case or pallet) identity: SSCC-18 (validated on construction)."""

    sscc: str

    level: Literal["container"] = "container"

    def __post_init__(self) -> None:
        validate_sscc(self.sscc)

    @property
    def code(self) -> str:
        """Canonical code ``sscc:{sscc18}``."""
        return f"sscc:{self.sscc}"

    @property
    def path(self) -> str:
        """GS1 Digital Link path ``/00/{sscc}``."""
        return f"/00/{self.sscc}"


Identity: TypeAlias = Sgtin | Sscc


def parse_code(code: str) -> Sgtin | Sscc:
    """Parse a canonical code back into its identity (raises :class:`IdentityError`)."""
    if not isinstance(code, str):
        raise IdentityError("code must be a string")
    m = _CODE_SGTIN_RE.fullmatch(code)
    if m is not None:
        return Sgtin(m["gtin"], m["lot"], m["serial"])
    m = _CODE_SSCC_RE.fullmatch(code)
    if m is not None:
        return Sscc(m["sscc"])
    raise IdentityError("not a canonical code (sgtin:{gtin14}:{lot}:{serial} or sscc:{sscc18})")
