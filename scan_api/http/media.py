"""Write endpoints take JSON only, said so with a 415 instead of a confusing 422."""

from __future__ import annotations

import codecs
import json

from starlette.requests import Request

from traceability.errors import InvalidInput, UnsupportedMediaType


def is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return media_type == "application/json"


def require_json(request: Request, what: str) -> None:
    """Refuse a body not sent as application/json. The scan endpoints once differed: the
    single one parsed a form or text/plain body as JSON, the batch one refused it with 422
    "Input should be a valid dictionary" (live review). A form or text/plain POST also needs
    no CORS preflight, so any web page could make its visitors' browsers send it."""
    if not is_json(request):
        raise UnsupportedMediaType(f"send the {what} as application/json")


def utf8_json(body: bytes) -> bytes:
    """The body as UTF-8 JSON. A UTF-8 byte-order mark is dropped (RFC 8259 lets a parser
    ignore it, and some Windows tools write one); UTF-16 and UTF-32 are refused (JSON
    exchanged between systems is UTF-8). The scan endpoints once differed: the batch read
    both, the single one refused both (live review)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8) :]
    if body and json.detect_encoding(body) != "utf-8":
        raise InvalidInput("send the JSON body encoded as UTF-8")
    return body
