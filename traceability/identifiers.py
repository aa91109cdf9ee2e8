"""Identifier rules shared by every feature: client ids and GTINs."""

from __future__ import annotations

import re

from biip import ParseError
from biip.gtin import Gtin

from traceability.errors import InvalidInput

CLIENT_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
_CLIENT_ID = re.compile(CLIENT_ID_PATTERN)


def check_client_id(value: str, field: str) -> str:
    if not _CLIENT_ID.fullmatch(value):
        raise InvalidInput(
            f"{field} must be 1-64 characters of A-Z a-z 0-9 . _ -",
            errors=[{"loc": ["path", field], "msg": "invalid identifier"}],
        )
    return value


def normalize_gtin(value: str, field: str = "gtin") -> str:
    """GTIN-8/12/13/14 with a valid check digit, returned as GTIN-14."""
    if not value.isascii() or not value.isdigit():
        raise InvalidInput(
            f"{field} must contain digits only",
            errors=[{"loc": [field], "msg": "GTIN must be 8, 12, 13 or 14 digits"}],
        )
    try:
        gtin = Gtin.parse(value)
    except ParseError as exc:
        raise InvalidInput(
            f"{field} is not a valid GTIN: {exc}", errors=[{"loc": [field], "msg": str(exc)}]
        ) from exc
    return gtin.as_gtin_14()
