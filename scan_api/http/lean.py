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

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from scan_api.http.media import utf8_json


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
