"""Refuse request bodies over the limit before they are read into memory."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scan_api.http.problems import PROBLEM_MEDIA_TYPE, problem_body


class BodySizeLimitMiddleware:
    """A declared Content-Length over the limit is refused before anything is read (the
    server never delivers more than it declares). A body without one (chunked) is read here,
    up to the limit, and handed on whole: refused with 413 the moment it grows past it. A
    route's own body reading cannot be relied on for that: FastAPI turns any error raised
    while reading into a 400, and the lean lane into a 500."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > self.max_bytes:
                await self._reject(send)
                return
            await self.app(scope, receive, send)
            return
        first = await self._read_at_most(receive)
        if first is None:
            await self._reject(send)
            return
        await self.app(scope, _replaying(first, receive), send)

    async def _read_at_most(self, receive: Receive) -> Message | None:
        """The whole body as one message (or the disconnect that cut it short); None when
        it is larger than the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

    async def _reject(self, send: Send) -> None:
        body = orjson.dumps(
            problem_body(
                413,
                "payload-too-large",
                "Payload too large",
                f"The request body exceeds {self.max_bytes} bytes.",
            )
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replaying(first: Message, receive: Receive) -> Receive:
    """`receive`, with `first` delivered before anything it has still to say."""
    pending: list[Message] = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
