"""FastAPI dependencies: the services of this app, a catalog session, the calling tenant.

Upload routes (multipart ``POST /api/v1/assets``, the tus routes) take no ``SessionDep``: a request
session stays open until the response is sent, and fifty slow uploads would hold fifty connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from mam.errors import NotFoundError
from mam.models import Tenant
from mam.services import Services

__all__ = ["CurrentTenant", "ServicesDep", "SessionDep"]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_tenant(
    services: ServicesDep,
    x_tenant: Annotated[str | None, Header(description="media centre to act as (default: the default tenant)")] = None,
) -> str:
    """The calling tenant, checked in a session of its own that is closed before the handler runs:
    an upload route must hold no catalog connection while it waits for bytes (the request's
    ``SessionDep`` stays open until the response is sent)."""
    tenant_id = x_tenant or services.settings.default_tenant
    with services.session() as session:
        known = session.get(Tenant, tenant_id) is not None
    if not known:
        raise NotFoundError(f"unknown tenant {tenant_id[:64]!r}")
    return tenant_id


CurrentTenant = Annotated[str, Depends(get_tenant)]
