"""HTTP: the mini-app and console pages, the GS1 Digital Link resolver, the static files.

Everything a page loads comes from here (`/ui/...`): no CDN, no font host. The pages are
not part of the API contract (`include_in_schema=False`).
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/ui"
PAYLOAD_MARKER = '<meta name="sealtrace-payload" content="">'

# Everything from this origin; inline scripts and style attributes are never needed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}

_FILE_HEADERS = {k: v for k, v in SECURITY_HEADERS.items() if k != "Cache-Control"}

router = APIRouter(include_in_schema=False)


@cache
def _page(name: str) -> str:
    return (STATIC_DIR / name / "index.html").read_text(encoding="utf-8")


def _html(text: str) -> HTMLResponse:
    return HTMLResponse(text, headers=SECURITY_HEADERS)


@router.get("/app")
async def mini_app() -> HTMLResponse:
    return _html(_page("app"))


# The files the staff app loads, for its service worker to keep (everything it can import).
_APP_DIRS = ("app", "common", "vendor")


@cache
def _service_worker() -> str:
    assets = sorted(
        f"{STATIC_PREFIX}/{path.relative_to(STATIC_DIR).as_posix()}"
        for folder in _APP_DIRS
        for path in (STATIC_DIR / folder).rglob("*")
        if path.is_file() and path.suffix in (".js", ".css") and path.name != "sw.js"
    )
    script = (STATIC_DIR / "app" / "sw.js").read_text(encoding="utf-8")
    return script.replace("[/* filled in by the server */]", json.dumps(assets))


@router.get("/app-sw.js")
async def app_service_worker() -> Response:
    """The staff app's service worker, at the root so that its scope can cover /app."""
    return Response(_service_worker(), media_type="text/javascript", headers=SECURITY_HEADERS)


@router.get("/console")
async def console() -> HTMLResponse:
    return _html(_page("console"))


@router.get("/app/")
async def mini_app_slash() -> RedirectResponse:
    return RedirectResponse("/app", status_code=308)


@router.get("/console/")
async def console_slash() -> RedirectResponse:
    return RedirectResponse("/console", status_code=308)


def printed_payload(scope: Scope, resolver_host: str) -> str:
    """The payload exactly as printed: resolver host + the raw path and query as received.

    The raw bytes are used, never the decoded path or re-encoded parameters, so whatever the
    phone's camera opened is what gets verified, byte for byte (a tampered link stays
    tampered)."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string", b"")
    text = f"https://{resolver_host}{raw_path.decode('latin-1')}"
    if query:
        text += "?" + query.decode("latin-1")
    return text


def _resolver_page(request: Request) -> HTMLResponse:
    payload = printed_payload(request.scope, request.app.state.settings.resolver_host)
    meta = f'<meta name="sealtrace-payload" content="{html.escape(payload, quote=True)}">'
    return _html(_page("app").replace(PAYLOAD_MARKER, meta, 1))


Segment = Annotated[str, PathParam(max_length=64)]


@router.get("/01/{gtin}/10/{lot}/21/{serial}")
async def resolve_item(
    request: Request, gtin: Segment, lot: Segment, serial: Segment
) -> HTMLResponse:
    """GS1 Digital Link of an item (SGTIN): the consumer verification page for it."""
    return _resolver_page(request)


@router.get("/00/{sscc}")
async def resolve_container(request: Request, sscc: Segment) -> HTMLResponse:
    """GS1 Digital Link of a case or pallet (SSCC): the consumer verification page for it."""
    return _resolver_page(request)


class _StaticWithPolicy(StaticFiles):
    """The pages' security headers on every static file too: the pages' own `index.html`
    files are reachable under STATIC_PREFIX, and must not run without the policy there."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(_FILE_HEADERS)  # caching left to StaticFiles (ETag)
        return response


def static_files() -> StaticFiles:
    """Mounted at STATIC_PREFIX: scripts, styles and the vendored QR decoder."""
    return _StaticWithPolicy(directory=STATIC_DIR)
