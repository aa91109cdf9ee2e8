"""Hot paths at the door: the lean routes are answered before FastAPI's own entry.

For every request FastAPI asks whether telemetry is configured (environment lookups), then
runs Starlette's server-error wrapper, its own body-limit and exception-telemetry wrappers,
our middleware, its exception middleware, and a router that walks its included routers
matching each route's pattern. For `POST /v1/scans` that was about a fifth of the API
process's Python time under load (py-spy, docs/performance.md). The lean routes
(scan_api/http/lean.py) have fixed paths and handlers that take a `Request`, so this app
looks `(method, path)` up in a dict and runs the handler inside the middleware every request
must pass (request id and access log, body limit), rendering errors with the app's own
exception handlers (problem+json; unexpected ones logged and answered 500 as elsewhere). The
answers are the same as through the ordinary path (tests/api/test_hot_path.py).

Only lean routes take this lane; everything else, `GET /healthz` included, goes through
FastAPI as usual. What the lane leaves out: FastAPI's native OpenTelemetry hooks (not
configured here).
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


class HotPathApp(FastAPI):
    """FastAPI, with a lane for the lean routes (`serve_hot`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hot_routes: Mapping[tuple[str, str], Handler] = {}
        self._lane: ASGIApp | None = None

    def serve_hot(self, routers: Sequence[APIRouter], wrap: Callable[[ASGIApp], ASGIApp]) -> None:
        """Answer the lean routes of `routers` in the lane; `wrap` puts around it the
        middleware every request must pass."""
        self.hot_routes = lean_handlers(routers)
        self._lane = wrap(self._answer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and self._lane is not None
            and (scope["method"], scope["path"]) in self.hot_routes
        ):
            if self.root_path:
                scope["root_path"] = self.root_path
            scope["app"] = self
            await self._lane(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            response = await self.hot_routes[(scope["method"], scope["path"])](request)
        except Exception as exc:
            response = await self._render(request, exc)
        await response(scope, receive, send)

    async def _render(self, request: Request, exc: Exception) -> Response:
        """The app's handler for this error, most specific class first, as Starlette would
        pick it; ours cover `Exception`, so nothing escapes unanswered."""
        handlers: dict[Any, Any] = self.exception_handlers  # ours are all async
        for cls in type(exc).__mro__:
            handler = handlers.get(cls)
            if handler is not None:
                response: Response = await handler(request, exc)
                return response
        raise exc
