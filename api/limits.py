"""Request size limits enforced before the application reads a byte of the body.

FastAPI parses a multipart form completely (spooling the file to the temp directory) before a
handler can look at its size, so the limit is kept here, in a pure ASGI middleware in front of
everything: a ``Content-Length`` over the route's limit is answered 413 at once, unread; a body
without one (chunked) is read only up to the limit, then answered 413 and the application sees
the client go away.

Limits: ``POST /api/v1/assets`` (multipart) takes ``MAM_MAX_UPLOAD_MB`` plus the form's other
fields (:data:`mam.limits.FORM_OVERHEAD_BYTES`); tus routes take ``MAM_MAX_UPLOAD_MB`` (each
request is also held to its ``Upload-Length`` by :mod:`mam.tus`); every other request
:data:`mam.limits.MAX_REQUEST_BODY_BYTES`.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mam.limits import FORM_OVERHEAD_BYTES, MAX_REQUEST_BODY_BYTES

__all__ = ["BodyLimit"]

_ASSETS = "/api/v1/assets"
_UPLOADS = "/api/v1/uploads"


class BodyLimit:
    """Pure ASGI middleware: refuse request bodies over their route's limit with 413."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, method: str, path: str) -> tuple[int, str]:
        """(bytes allowed, what the limit is called) for a request."""
        if method == "POST" and path.rstrip("/") == _ASSETS:
            return self.max_upload_bytes + FORM_OVERHEAD_BYTES, "MAM_MAX_UPLOAD_MB"
        if _is_tus(path):
            return self.max_upload_bytes, "MAM_MAX_UPLOAD_MB"
        return MAX_REQUEST_BODY_BYTES, f"{MAX_REQUEST_BODY_BYTES // (1024 * 1024)} MiB for a request"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, name = self.limit_for(scope["method"], scope["path"])
        declared = _content_length(scope)
        tus = _is_tus(scope["path"])
        if declared is not None and declared > limit:
            await _refuse(send, f"the request body is {declared} bytes; the limit is {limit} ({name})", tus)
            return
        state = _Stream(limit, name, receive, send, tus)
        try:
            await self.app(scope, state.receive, state.send)
        except Exception:
            if not state.refused:
                raise  # after a 413 the application only sees a client that went away


class _Stream:
    """Counts the body as the application reads it; past the limit, answers 413 and ends the body."""

    def __init__(self, limit: int, name: str, receive: Receive, send: Send, tus: bool) -> None:
        self.limit, self.name, self.tus = limit, name, tus
        self._receive, self._send = receive, send
        self.received = 0
        self.started = False
        self.refused = False

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit and not self.started:
                self.refused = True
                detail = f"the request body exceeds the limit of {self.limit} bytes ({self.name})"
                await _refuse(self._send, detail, self.tus)
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the 413 is the answer
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _is_tus(path: str) -> bool:
    path = path.rstrip("/")
    return path == _UPLOADS or path.startswith(_UPLOADS + "/")


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, detail: str, tus: bool) -> None:
    body = json.dumps({"type": "about:blank", "title": "Content Too Large", "status": 413, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *([(b"tus-resumable", b"1.0.0")] if tus else []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
