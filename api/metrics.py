"""``GET /metrics`` for the operator's Prometheus, and the HTTP latency of every request.

- The route answers Prometheus's text format (OpenMetrics when the scraper asks for it): this process's
  metrics (:data:`mam.metrics.METRICS`) and the catalog's state read at the scrape
  (:class:`mam.metrics.CatalogCollector`). It needs ``metrics:read``, which only the platform role
  has: Prometheus sends a platform key as a bearer token. Nothing in it names an asset.
- :class:`HttpLatency` (outermost middleware) times each request until its last byte is sent and
  labels it with the route's template (``/api/v1/assets/{asset_id}``), never the path asked for:
  a path no route knows is ``unmatched``, so made-up paths cannot multiply the series.
"""

from __future__ import annotations

import re
import time
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Response
from fastapi.routing import RouteContext, iter_route_contexts
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.authz import require
from api.deps import ServicesDep
from mam.metrics import METRICS, CatalogCollector, Metrics

__all__ = ["HttpLatency", "install_metrics", "router"]

router = APIRouter(tags=["operations"])

_TEXT = {
    "description": "the metrics in Prometheus's text format (OpenMetrics when asked for)",
    "content": {"text/plain": {"schema": {"type": "string"}}},
}


@router.get("/metrics", dependencies=[require("metrics:read")], response_class=Response, responses={200: _TEXT})
def read_metrics(services: ServicesDep, accept: Annotated[str | None, Header()] = None) -> Response:
    """Jobs per lane and state, queue waits, job durations and frames/s per profile, failures by reason,
    HTTP latency per route, bytes stored per tenant (the platform operator's scrape)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(METRICS.registry)
    registry.register(CatalogCollector(services, services.settings.metrics_storage_seconds))
    encode, content_type = choose_encoder(accept or "")
    return Response(encode(registry), media_type=content_type)


class HttpLatency:
    """Observe ``mam_http_request_duration_seconds`` for every HTTP request, by route template."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute], metrics: Metrics = METRICS) -> None:
        self.app = app
        self.routes = routes
        self.metrics = metrics
        self._flat: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = self.template(scope)
            self.metrics.http_duration.labels(scope["method"], route, str(status)).observe(time.perf_counter() - began)

    def template(self, scope: Scope) -> str:
        """The template of the route that answered (or would have: a request refused before routing,
        e.g. at the rate limit, is matched here by its path alone); ``unmatched`` for a path no route
        knows."""
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str):
            return path
        if self._flat is None:  # every route of the app, included routers' too, once it is built
            self._flat = [
                (regex, _path_of(c)) for c in iter_route_contexts(self.routes) if (regex := _regex_of(c)) is not None
            ]
        asked, root = scope["path"], scope.get("root_path") or ""
        asked = asked[len(root) :] if root and asked.startswith(root) else asked
        return next((template for regex, template in self._flat if regex.match(asked)), "unmatched")


def _regex_of(route: RouteContext) -> re.Pattern[str] | None:
    regex = getattr(route, "path_regex", None)
    return regex if isinstance(regex, re.Pattern) else None


def _path_of(route: RouteContext) -> str:
    path = str(route.path_format or route.path or "unmatched")
    return f"{path}/{{path}}" if isinstance(route.original_route, Mount) else path


def install_metrics(app: FastAPI) -> None:
    """Add ``GET /metrics`` and time every request (call last: the timer is the outermost middleware)."""
    app.include_router(router)
    app.add_middleware(HttpLatency, routes=app.router.routes)
