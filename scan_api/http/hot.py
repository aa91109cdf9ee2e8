"""Hot-path dispatch: the lean routes are served by exact (method, path) before FastAPI's router.

FastAPI's router walks its included routers in order, matching each route's path pattern, and
wraps every request in its exception and exit-stack middleware: for `POST /v1/scans` that was
about a sixth of the API process's Python time under load (py-spy, docs/performance.md). The
lean routes (scan_api/http/lean.py) have fixed paths and handlers that take a `Request`, so
this middleware looks them up in a dict and calls the same handler. Errors are rendered by the
app's own exception handlers (problem+json), so an answer is the same either way; anything
without a handler goes on up to Starlette's server-error middleware, as before.

Only lean routes are served here; everything else (GET /healthz included) takes the ordinary
path through FastAPI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from scan_api.http.lean import LeanRoute

Handler = Callable[[Request], Awaitable[Response]]


def lean_handlers(routers: Sequence[APIRouter]) -> dict[tuple[str, str], Handler]:
    """(method, path) → handler for every lean route with a fixed path in `routers`.

    The routers must be included in the app without a further prefix (app.py does so).
    """
    table: dict[tuple[str, str], Handler] = {}
    for router in routers:
        for route in router.routes:
            if isinstance(route, LeanRoute) and not route.param_convertors:
                handler = route.get_route_handler()
                for method in route.methods or ():
                    table[(method, route.path)] = handler
    return table


class HotPathMiddleware:
    """Serve the lean routes directly; pass every other request on unchanged."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI, routers: Sequence[APIRouter]) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.routes: Mapping[tuple[str, str], Handler] = lean_handlers(routers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            handler = self.routes.get((scope["method"], scope["path"]))
            if handler is not None:
                request = Request(scope, receive, send)
                try:
                    response = await handler(request)
                except Exception as exc:
                    response = await self._render(request, exc)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _render(self, request: Request, exc: Exception) -> Response:
        """The app's handler for this error (most specific class first), as FastAPI would."""
        handlers: dict[Any, Any] = self.fastapi_app.exception_handlers  # ours are all async
        for cls in type(exc).__mro__:
            if cls is Exception:
                break  # unexpected errors go to the server-error middleware, as elsewhere
            handler = handlers.get(cls)
            if handler is not None:
                response: Response = await handler(request, exc)
                return response
        raise exc
