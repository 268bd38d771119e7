"""Bounds on what one request and all requests together may take: body bytes and admitted requests."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any, Callable

from .errors import RequestError, error_body

ASGIApp = Callable[..., Any]


class BodyLimit:
    """ASGI middleware: a declared Content-Length over ``max_bytes`` is answered 413 before the body is
    read; a body that streams past it (chunked, or lying about its length) is cut off with 413 too."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _send_json(send, 413, f"the request body is larger than this server's limit of {self.max_bytes} bytes")
            return
        seen = 0

        async def counting_receive() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise RequestError(413, f"the request body is larger than this server's limit of {self.max_bytes} bytes")
            return message

        await self.app(scope, counting_receive, send)


async def _send_json(send: Callable, status: int, message: str) -> None:
    body = json.dumps(error_body(status, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Admission:
    """At most ``limit`` predict requests inside the server at once; one more gets 503 + Retry-After."""

    def __init__(self, limit: int, retry_after_s: int, on_change: Callable[[int], None] | None = None) -> None:
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.on_change = on_change
        self.inside = 0

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        if self.inside >= self.limit:
            raise RequestError(
                503,
                f"the server is at its limit of {self.limit} requests in flight: retry after {self.retry_after_s} s",
                {"Retry-After": str(self.retry_after_s)},
            )
        self._move(+1)
        try:
            yield
        finally:
            self._move(-1)

    def _move(self, step: int) -> None:
        self.inside += step
        if self.on_change is not None:
            self.on_change(self.inside)
