"""How `mam serve` runs uvicorn: request heads up to :data:`mam.limits.MAX_REQUEST_HEAD_BYTES`, and an
answer instead of a reset for a head that is larger or malformed.

uvicorn answers such a request with 400 and closes the connection at once; the client, still
sending its headers, then finds the connection reset before it can read the answer (an 800 KB
``Upload-Metadata`` did exactly that). :class:`AnsweringH11Protocol` answers 431 (head too large)
or 400 (malformed), then reads and drops what the client still sends, for at most
:data:`LINGER_SECONDS` and :data:`LINGER_BYTES`, before it closes: the client reads the answer.
"""

from __future__ import annotations

import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from mam.limits import SERVER_OPTIONS

__all__ = ["LINGER_BYTES", "LINGER_SECONDS", "SERVE_OPTIONS", "AnsweringH11Protocol"]

LINGER_SECONDS = 5.0
LINGER_BYTES = 64 * 1024 * 1024


class AnsweringH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering an oversized or malformed request head readably."""

    _lingering = False
    _dropped = 0

    def data_received(self, data: bytes) -> None:
        if not self._lingering:
            super().data_received(data)
            return
        self._dropped += len(data)
        if self._dropped > LINGER_BYTES:
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        limit = self.config.h11_max_incomplete_event_size or h11._connection.DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        too_large = len(self.conn.trailing_data[0]) > limit
        status = 431 if too_large else 400
        title = "Request Header Fields Too Large" if too_large else "Bad Request"
        detail = f"the request's headers are larger than {limit} bytes" if too_large else "a malformed HTTP request"
        body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=status, headers=headers, reason=title.encode()),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self._lingering = True
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


SERVE_OPTIONS: dict[str, Any] = {**SERVER_OPTIONS, "http": AnsweringH11Protocol}
"""What `mam serve` passes to ``uvicorn.run``."""
