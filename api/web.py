"""Serving the editors' workspace (``web/``, built by Vite into ``web/dist``) from the API's own server.

- ``/_app/<file>``: the built scripts, styles and pictures (hashed names: cached for a year, immutable);
  to a browser that accepts it, the copy the build compressed (``<file>.br``, ``<file>.gz``: web's
  vite.config.ts), else gzipped on the fly (a build without those copies);
- any other GET of a path that no route answers and that is not the API's (``/api/``, ``/docs``...):
  ``index.html`` (the router in the page shows the right screen, so ``/assets/<id>`` opens directly);
  never cached, so a new build is picked up at the next load;
- the page and its files run under the page's Content-Security-Policy (:mod:`api.security`): no inline
  script or style, which the build never makes.

Where the build is: ``MAM_WEB_DIST``, else ``web/dist`` of the source tree this package was installed
from (``pip install -e .``, as ``make install`` does). Without a build, ``/`` says how to make one.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["default_web_dist", "install_web"]

_API_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi.json", "/healthz", "/metrics", "/_app/")
_NO_CACHE = {"Cache-Control": "no-cache"}
_NOT_BUILT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>mam</title></head>
<body><h1>媒资工作台尚未构建 · The web workspace is not built</h1>
<p><code>make install</code> (npm ci &amp;&amp; npm run build in web/), or set MAM_WEB_DIST to a built web/dist.</p>
</body></html>
"""


def default_web_dist() -> Path:
    """``web/dist`` beside the ``api`` package (the source tree of an editable install)."""
    return Path(__file__).resolve().parent.parent / "web" / "dist"


_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
"""The compressed copies a build may hold beside a file, best first."""


def _accepted(header: str) -> set[str]:
    """The content codings an Accept-Encoding header takes (those not given ``q=0``)."""
    taken = set()
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        q = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            weight = float(q)
        except ValueError:
            weight = 1.0
        if coding and weight > 0:
            taken.add(coding.strip().lower())
    return taken


class _Built(StaticFiles):
    """The built files: a copy the build compressed, where there is one and the browser takes it."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        plain = await super().get_response(path, scope)  # 404 for what is not built, whatever copies lie there
        accepted = _accepted(Headers(scope=scope).get("accept-encoding", ""))
        for coding, suffix in _ENCODINGS:
            if coding not in accepted and "*" not in accepted:
                continue
            try:
                packed = await super().get_response(path + suffix, scope)
            except HTTPException:
                continue
            if "content-type" in plain.headers:  # (a 304 has none: the copy's own is the file's type too)
                packed.headers["content-type"] = plain.headers["content-type"]
            packed.headers["content-encoding"] = coding
            packed.headers["vary"] = "Accept-Encoding"
            return packed
        plain.headers["vary"] = "Accept-Encoding"
        return plain


class _Immutable:
    """Static files with hashed names: a browser keeps them a year."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                message["headers"] = [
                    *message.get("headers", []),
                    (b"cache-control", b"public, max-age=31536000, immutable"),
                ]
            await send(message)

        await self.app(scope, receive, sending)


def _top_level_file(dist: Path, path: str) -> Path | None:
    """A file at the top of the build (``favicon.ico``, ``robots.txt``), never outside it."""
    name = path.strip("/")
    if not name or "/" in name or name.startswith("."):
        return None
    candidate = dist / name
    return candidate if candidate.is_file() else None


def install_web(app: FastAPI, dist: Path | None = None) -> None:
    """Serve the built workspace from ``dist`` (default :func:`default_web_dist`). Routes added to the app
    before or after this keep answering: the page is what answers a GET that no route matched."""
    dist = dist or default_web_dist()
    index = dist / "index.html"
    assets = dist / "_app"
    if assets.is_dir():
        # GZipMiddleware leaves an answer already encoded as it is.
        app.mount("/_app", GZipMiddleware(_Immutable(_Built(directory=assets)), minimum_size=1024), name="web")
    not_found = app.router.default

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD") or path.startswith(_API_PREFIXES):
            await not_found(scope, receive, send)
            return
        if not index.is_file():
            await HTMLResponse(_NOT_BUILT, status_code=503, headers=_NO_CACHE)(scope, receive, send)
            return
        file = _top_level_file(dist, path) or index
        await FileResponse(file, headers=_NO_CACHE)(scope, receive, send)

    app.router.default = fallback
