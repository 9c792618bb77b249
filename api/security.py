"""What every HTTP answer carries and who may ask how often: security headers, CORS from an allow-list,
request rates per credential and per address. Installed once by :func:`install_security` (the app factory).

- **Headers**: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy:
  no-referrer`` (a signed link in a page's URL must not travel on in ``Referer``) and a
  ``Content-Security-Policy`` with ``frame-ancestors 'none'``: the web page runs only its own files (no
  inline script or style); ``/docs`` (Swagger UI, served locally) runs its files and its one inline
  start-up script, allowed by that script's hash; API answers allow nothing at all.
- **CORS** (``MAM_CORS_ORIGINS``): the listed origins, and only they, may call the API, play renditions
  and HLS (playlists, segments, signed links) and upload with tus, credentials included; every tus
  header a client must read is exposed. No list, no cross-origin access.
- **Rates** (``MAM_RATE_PER_KEY``, ``MAM_RATE_PER_ADDRESS`` a minute): token buckets in this process
  (behind several server processes, each counts its own). A credential is counted by a digest of what
  was sent (a key, a session cookie, a token) before it is checked, so a flood of made-up keys is held by
  its address. Over a rate: 429 with ``Retry-After``. The sign-in limiter (failed sign-ins per account and
  address, :mod:`mam.identity.ratelimit`) keeps its own rules and counts apart from these.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import SESSION_COOKIE
from api.errors import problem_response
from mam.settings import Settings

__all__ = [
    "API_CSP",
    "PAGE_CSP",
    "RateLimit",
    "SecurityHeaders",
    "TokenBuckets",
    "docs_csp",
    "install_security",
]

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""The web page and its files: only what this server serves, nothing inline."""
API_CSP = "default-src 'none'; frame-ancestors 'none'"
"""JSON and problem answers: nothing may run or load."""
MEDIA_CSP = "frame-ancestors 'none'"
"""Files (renditions, pictures): never framed; a browser's own media viewer keeps working."""
_DOCS = "/docs"
_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_FIXED = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_UNLIMITED = frozenset({"/healthz"})

CORS_ALLOW_HEADERS = (
    "Authorization, Content-Type, Range, If-Range, X-CSRF-Token, X-Request-ID, X-Requested-With, "
    "Upload-Length, Upload-Offset, Upload-Metadata, Upload-Checksum, Upload-Defer-Length, Upload-Concat, "
    "Tus-Resumable, X-HTTP-Method-Override"
)
CORS_EXPOSE_HEADERS = (
    "Location, Upload-Offset, Upload-Length, Upload-Metadata, Tus-Resumable, Tus-Version, Tus-Extension, "
    "Tus-Max-Size, Tus-Checksum-Algorithm, Upload-Expires, Mam-Asset-Id, Mam-Asset-Location, Mam-Asset-Duplicate, "
    "Content-Range, Accept-Ranges, Content-Length, Content-Disposition, Retry-After, WWW-Authenticate"
)


def docs_csp(html: bytes) -> str:
    """The policy of a Swagger UI page: its local files, and its inline scripts by their hashes (no CDN,
    no other inline script). Swagger UI sets inline styles, which a style policy cannot run code from."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'" for body in _SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ).replace("'self' ;", "'self';")


def _csp_for(content_type: str) -> str | None:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "text/html":
        return PAGE_CSP
    if kind.startswith(("video/", "audio/", "image/")) or kind in ("application/vnd.apple.mpegurl", "application/mxf"):
        return MEDIA_CSP
    return API_CSP


class SecurityHeaders:
    """Pure ASGI middleware: the fixed headers and the policy of what was answered (kept when a route
    set its own). A ``/docs`` page is read whole to hash its inline script."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].rstrip("/").startswith(_DOCS) and not scope["path"].startswith(f"{_DOCS}/assets")
        held: list[Message] = []

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _FIXED:
                    if name.decode() not in headers:
                        headers.raw.append((name, value))
                html = headers.get("content-type", "").startswith("text/html")
                if docs and html:
                    held.append(message)
                    return
                policy = _csp_for(headers.get("content-type", ""))
                if policy is not None and "content-security-policy" not in headers:
                    headers.raw.append((b"content-security-policy", policy.encode()))
            elif held:
                held.append(message)
                if message.get("more_body", False):
                    return
                start, *bodies = held
                body = b"".join(m.get("body", b"") for m in bodies)
                MutableHeaders(scope=start).raw.append((b"content-security-policy", docs_csp(body).encode()))
                held.clear()
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, sending)


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """Token buckets of ``per_minute`` requests (a whole minute's worth may come at once), one per name."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_tracked: int = 100_000):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._max = max_tracked
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, name: str, now: float) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            if len(self._buckets) >= self._max:
                self._forget(now)
            bucket = self._buckets[name] = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        return bucket

    def _forget(self, now: float) -> None:
        """Bounded memory: drop the buckets that have filled up again (idle, so nothing is lost), else the
        oldest tenth (so a spray of made-up credentials costs one scan per tenth, not one per request)."""
        idle = [k for k, b in self._buckets.items() if b.tokens + (now - b.at) * self.rate >= self.capacity]
        if len(idle) < self._max // 10:
            idle += list(itertools.islice(self._buckets, self._max // 10 + 1))
        for name in idle:
            self._buckets.pop(name, None)

    def wait(self, name: str) -> float:
        """Seconds until ``name`` may send one more request (0: now)."""
        bucket = self._bucket(name, self._clock())
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self.rate

    def take(self, name: str) -> None:
        self._buckets[name].tokens -= 1.0


def _credential(scope: Scope) -> bytes | None:
    """What the request authenticates with (unverified): the Authorization header, else the session cookie."""
    cookie: bytes | None = None
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"authorization":
            return value
        if name == b"cookie":
            cookie = value
    if cookie is not None:
        marker = SESSION_COOKIE.encode() + b"="
        start = cookie.find(marker)
        if start >= 0:
            return cookie[start + len(marker) :].split(b";", 1)[0].strip() or None
    return None


class RateLimit:
    """Pure ASGI middleware: 429 with ``Retry-After`` past ``per_key`` requests a minute of one credential
    or ``per_address`` of one client address (0: that limit is off). Requests are counted by the event
    loop's thread alone, so no lock is needed."""

    def __init__(
        self, app: ASGIApp, per_key: int, per_address: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app = app
        self.keys = TokenBuckets(per_key, clock) if per_key > 0 else None
        self.addresses = TokenBuckets(per_address, clock) if per_address > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _UNLIMITED:
            await self.app(scope, receive, send)
            return
        checks: list[tuple[TokenBuckets, str, str]] = []
        if self.keys is not None and (credential := _credential(scope)) is not None:
            checks.append((self.keys, hashlib.blake2b(credential, digest_size=16).hexdigest(), "this credential"))
        client = scope.get("client")
        if self.addresses is not None and client:
            checks.append((self.addresses, str(client[0]), "this address"))
        for buckets, name, who in checks:
            wait = buckets.wait(name)
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                detail = f"too many requests from {who}; try again in {seconds} s"
                refusal = problem_response(
                    429,
                    detail,
                    title="Too many requests: try again",
                    type="urn:mam:problem:rate-limited",
                    headers={"Retry-After": str(seconds)},
                )
                await refusal(scope, receive, send)
                return
        for buckets, name, _ in checks:
            buckets.take(name)
        await self.app(scope, receive, send)


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add the rate limits, CORS and the security headers, outside everything added before (so a 413,
    a 429 or a preflight's answer carries them too)."""
    app.add_middleware(RateLimit, per_key=settings.rate_per_key, per_address=settings.rate_per_address)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=True,
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=[h.strip() for h in CORS_ALLOW_HEADERS.split(",")],
        expose_headers=[h.strip() for h in CORS_EXPOSE_HEADERS.split(",")],
        max_age=600,
    )
    app.add_middleware(SecurityHeaders)
