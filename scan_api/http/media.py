"""Write endpoints take JSON only, said so with a 415 instead of a confusing 422."""

from __future__ import annotations

from starlette.requests import Request

from traceability.errors import UnsupportedMediaType


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
