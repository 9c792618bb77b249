"""A fault-injecting HTTP proxy for tests: put it in front of a real server (moto's S3 server) and
tell it which requests to answer with an error, to stall, or to drop.

    with FaultProxy(s3_endpoint) as proxy:
        proxy.add(Fault(method="PUT", status=503, times=2))        # the next two PUTs: 503 SlowDown
        proxy.add(Fault(query="partNumber=", status=500, times=None))  # every part upload: 500
        proxy.add(Fault(method="PUT", stall=5.0, drop=True))       # one PUT hangs 5 s, then nothing
        ... point the client at proxy.url ...
        proxy.seen  # every request: method, path, query, and what it got

Every other request is forwarded as it came (headers, body, ``Host`` kept: moto does not check
signatures) and its answer returned as the server gave it. The request's body is always read
before the fault is applied, so a client sees the status (or the silence), not a broken pipe.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["Fault", "FaultProxy", "Seen", "fault_proxy"]

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"})
_S3_CODES = {500: "InternalError", 502: "BadGateway", 503: "SlowDown", 504: "GatewayTimeout"}


@dataclass
class Fault:
    """What to do to the requests it matches (all of ``method``, ``path`` and ``query`` that are set)."""

    method: str | None = None
    path: str | None = None
    """A substring of the path."""
    query: str | None = None
    """A substring of the query string (``partNumber=``, ``uploadId=``, ``uploads``)."""
    status: int | None = None
    """Answer this status (with an S3 error document) instead of forwarding."""
    stall: float = 0.0
    """Wait this many seconds first."""
    drop: bool = False
    """After the stall, close the connection without an answer."""
    times: int | None = 1
    """How many requests it applies to; ``None``: every one, until removed."""

    def matches(self, method: str, path: str, query: str) -> bool:
        return (
            (self.method is None or self.method == method)
            and (self.path is None or self.path in path)
            and (self.query is None or self.query in query)
        )


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: str
    answer: str
    """The status sent back (``"503"``), ``"dropped"``, or ``"forwarded 200"``."""
    at: float = field(default_factory=time.monotonic)


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname or "127.0.0.1", parts.port or 80
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """No more faults: every request is forwarded."""
        with self._lock:
            self.faults.clear()

    def answers(self, method: str | None = None, query: str | None = None) -> list[str]:
        """What the requests seen (of ``method``, with ``query`` in their query string) got, in order."""
        with self._lock:
            return [
                s.answer
                for s in self.seen
                if (method is None or s.method == method) and (query is None or query in s.query)
            ]

    def _take(self, method: str, path: str, query: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, path, query):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def _record(self, method: str, path: str, query: str, answer: str) -> None:
        with self._lock:
            self.seen.append(Seen(method, path, query, answer))


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _serve(self) -> None:
            path, _, query = self.path.partition("?")
            body = self._body()
            fault = proxy._take(self.command, path, query)
            if fault is not None and (fault.drop or fault.status is not None):  # recorded as it arrives
                proxy._record(self.command, path, query, "dropped" if fault.drop else str(fault.status))
            if fault is not None and fault.stall:
                time.sleep(fault.stall)
            if fault is not None and fault.drop:
                self.close_connection = True
                return
            if fault is not None and fault.status is not None:
                self._error(fault.status)
                return
            status, headers, payload = self._forward(body)
            proxy._record(self.command, path, query, f"forwarded {status}")
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP and (name.lower() != "content-length" or self.command == "HEAD"):
                    self.send_header(name, value)
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                if body or self.command in ("PUT", "POST"):
                    headers["Content-Length"] = str(len(body))
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                return response.status, response.getheaders(), response.read()
            finally:
                upstream.close()

        def _error(self, status: int) -> None:
            code = _S3_CODES.get(status, "InternalError")
            payload = (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>injected by the test's fault proxy</Message></Error>"
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

    return Handler


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    with FaultProxy(upstream) as proxy:
        yield proxy
