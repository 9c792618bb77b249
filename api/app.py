"""The FastAPI application factory (``uvicorn --factory api.app:create_app``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.auth import CredentialsInUrl, document_security
from api.authz import document_permissions
from api.docs import install_docs, mark_file_uploads
from api.errors import document_problems, install_error_handlers, problems
from api.limits import BodyLimit
from api.metrics import install_metrics
from api.routes import (
    analysis,
    assets,
    audit,
    events,
    identity,
    jobs,
    links,
    meta,
    metadata,
    originals,
    screen_text,
    search,
    session,
    share_targets,
    shares,
    tus,
    waveform,
    webhooks,
)
from api.security import install_security
from api.web import install_web
from mam.events import EventBus
from mam.janitor import Janitor
from mam.services import Services, open_services
from mam.settings import Settings
from mam.watch import watch_from_settings
from workers.runtime import JobRunner, attach_broker

__all__ = ["create_app", "operation_id"]


def operation_id(route: APIRoute) -> str:
    """The route's name in camelCase (``list_assets`` -> ``listAssets``): what generated clients call it."""
    first, *rest = route.name.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def create_app(
    settings: Settings | None = None, services: Services | None = None, run_workers: bool | None = None
) -> FastAPI:
    """Build the app. Settings come from MAM_* variables unless given.

    ``run_workers`` defaults to True on the embedded broker (jobs run inside this process) and
    False with Redis (``mam worker`` processes run them).
    """
    settings = settings or (services.settings if services else Settings.from_env())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        svc = services or open_services(settings)
        broker = attach_broker(svc)
        runner = None
        if run_workers if run_workers is not None else settings.embedded_broker:
            runner = JobRunner(svc, broker)
            runner.start()
        app.state.services = svc
        bus = EventBus(svc.engine, svc.sessions)  # hands new events to the SSE streams of this process
        bus.start()
        app.state.event_bus = bus
        events.end_streams_on_exit_signal(bus)  # or SIGTERM would wait for every open stream to end
        watcher = watch_from_settings(svc)  # watch folders, when MAM_WATCH_CONFIG names some
        if watcher is not None:
            watcher.start()
        janitor = Janitor(svc)  # leftovers of dead uploads and renders: now, then every so often
        janitor.start()
        try:
            yield
        finally:
            bus.stop()
            janitor.stop()
            if watcher is not None:
                watcher.stop()
            if runner is not None:
                runner.stop()
            else:
                broker.close()
            if own:
                svc.close()

    app = FastAPI(
        title="mam",
        summary="Media asset management for converged media centres: collect once, generate many.",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_upload_bytes=settings.max_upload_bytes)  # 413 before the body is read
    app.add_middleware(CredentialsInUrl)  # a key in the URL: 401, and blanked before the access log prints it
    install_security(app, settings)  # rate limits, CORS, security headers: outside everything else
    install_metrics(app)  # GET /metrics, and every request timed by its route (outermost of all)
    app.include_router(assets.router)
    app.include_router(originals.router)
    app.include_router(jobs.router)
    app.include_router(meta.router)
    app.include_router(search.router)
    app.include_router(metadata.router)
    app.include_router(tus.router)
    app.include_router(analysis.router)
    app.include_router(screen_text.router)
    app.include_router(shares.router)
    app.include_router(share_targets.router)
    app.include_router(waveform.router)
    app.include_router(session.router)
    app.include_router(audit.router)
    app.include_router(events.router)
    app.include_router(webhooks.router)
    app.include_router(links.router)
    app.include_router(identity.router)
    install_docs(app, "mam")

    def openapi() -> dict[str, Any]:
        """FastAPI's document, with every error answer described as problem details and files as binary."""
        if app.openapi_schema is None:
            documented = mark_file_uploads(document_problems(FastAPI.openapi(app)))
            secured = document_security(documented, problems(401)[401])
            app.openapi_schema = document_permissions(app, secured, problems(403)[403])
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    install_web(app, settings.web_dist)  # the workspace (web/dist) at /, whatever no route answers
    return app
