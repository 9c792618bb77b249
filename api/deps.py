"""FastAPI dependencies: the services of this app, a catalog session, the calling principal and tenant.

Upload routes (multipart ``POST /api/v1/assets``, the tus routes) take no ``SessionDep``: a request
session stays open until the response is sent, and fifty slow uploads would hold fifty connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.auth import CurrentPrincipal
from mam.services import Services

__all__ = ["CurrentPrincipal", "CurrentTenant", "ServicesDep", "SessionDep"]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_tenant(principal: CurrentPrincipal) -> str:
    """The calling tenant: the principal's (authenticated by :mod:`api.auth` in a session of its own,
    closed before the handler runs, so an upload route holds no catalog connection while it waits)."""
    return principal.tenant_id


CurrentTenant = Annotated[str, Depends(get_tenant)]
