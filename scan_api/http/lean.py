"""A lean route for the hot path: FastAPI documents it, a direct handler serves it.

FastAPI's generic request handler (dependency solving, body embedding, response-model
serialization) costs about as much as a whole health check. For `POST /v1/scans` (and
`POST /v1/verify`) the endpoint takes exactly `(body: Model, request: Request)`; this route
class parses the body with pydantic's JSON parser and calls the same endpoint function
directly. Validation errors are raised as FastAPI's own `RequestValidationError`, so they are
rendered by the same problem+json handler as everywhere else. Measured in
docs/performance.md.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from scan_api.http.media import is_json, utf8_json


class LeanRoute(APIRoute):
    """For endpoints `async def f(body: SomeModel, request: Request) -> Response`."""

    def guard(self, request: Request) -> None:
        """Runs before the body is read (e.g. a rate limit); raise a DomainError to refuse."""

    async def before_reading_body(self, request: Request) -> None:
        """Runs after `guard`, before the body is read; may do I/O (e.g. check a token before
        refusing a body's media type)."""

    async def before_refusing_body(self, request: Request) -> None:
        """Runs when the body is invalid, before the 422: raise a DomainError to answer with
        it instead (e.g. 401 for a bad token, which a handler checks later)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        params = inspect.signature(self.endpoint).parameters
        model = params["body"].annotation
        if isinstance(model, str):  # postponed annotations: resolve against the module
            model = self.endpoint.__globals__[model]
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"{self.path}: LeanRoute needs `body: <pydantic model>`")
        endpoint, guard, refusing = self.endpoint, self.guard, self.before_refusing_body
        reading = self.before_reading_body

        async def handle(request: Request) -> Response:
            guard(request)
            await reading(request)
            try:
                body = model.model_validate_json(utf8_json(await request.body()))
            except ValidationError as exc:
                await refusing(request)
                errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
                raise RequestValidationError(errors) from exc
            response: Response = await endpoint(body=body, request=request)
            return response

        return handle


class OrjsonBodyRoute(APIRoute):
    """An ordinary FastAPI route whose JSON body orjson parses instead of the standard
    library (a 1,000-scan batch: ~4% of the API's time per scan went to `json.loads`).

    The parsed body is left where Starlette's `Request.json()` keeps it, so FastAPI validates
    it and reports errors exactly as before. A body orjson refuses (a byte-order mark, NaN,
    an integer beyond 64 bits, a lone surrogate) is left to the standard parser, as before;
    wherever orjson accepts a body, both read the same values.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if is_json(request):
                with contextlib.suppress(orjson.JSONDecodeError):  # the standard parser says why
                    request._json = orjson.loads(await request.body())
            return await handler(request)

        return handle
