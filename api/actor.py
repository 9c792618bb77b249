"""The audit trail's view of the caller: its principal and the address the request came from."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.auth import CurrentPrincipal, client_address
from mam.audit import Actor

__all__ = ["CurrentActor", "get_actor"]


def get_actor(request: Request, principal: CurrentPrincipal) -> Actor:
    """Who acts (authenticated once per request: FastAPI shares the principal's dependency) and from where."""
    return Actor.of(principal, client_address(request))


CurrentActor = Annotated[Actor, Depends(get_actor)]
"""What a route hands a use case so that it records the action in the audit trail."""
