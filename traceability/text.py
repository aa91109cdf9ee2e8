"""Free text as PostgreSQL can store it (names, reasons, notes)."""

from __future__ import annotations


def storable_text(value: str) -> str:
    """PostgreSQL text holds neither NUL nor lone surrogates; refuse them, and blank strings."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from exc
    if not value.strip():
        raise ValueError("must not be blank")
    return value
