"""/api/v1/audit: the tenant's audit trail, for its administrators (permission ``audit:read``)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BeforeValidator

from api.auth import CurrentPrincipal
from api.authz import require
from api.deps import SessionDep
from api.errors import problems
from mam.audit import AuditAction, list_entries
from mam.errors import ForbiddenError
from mam.public import AuditList

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}")


def _written_moment(value: object) -> object:
    """Only a date and time as RFC 3339 writes it (pydantic would also take a number of seconds)."""
    if isinstance(value, str) and not _MOMENT.match(value):
        raise ValueError("a date and time with its offset, such as 2026-12-07T08:00:00Z")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_written_moment)]


@router.get(
    "",
    response_model=AuditList,
    name="list_audit_entries",
    responses=problems((403, "the caller's role may not read the audit trail (audit:read)"), 422),
    dependencies=[require("audit:read")],
)
def list_all(
    session: SessionDep,
    principal: CurrentPrincipal,
    action: Annotated[list[AuditAction] | None, Query(description="only this action (repeat for several)")] = None,
    since: Annotated[Moment | None, Query(description="from this moment on (2026-12-07T08:00:00Z)")] = None,
    until: Annotated[Moment | None, Query(description="before this moment")] = None,
    target: Annotated[str | None, Query(max_length=200, description="only entries about this asset, key...")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditList:
    """The entries of the caller's tenant, newest first, a page at a time (``total`` counts every page):
    who did what, to what, from which address and when; ``hash`` and ``prev_hash`` chain them."""
    if not principal.can("audit:read"):
        raise ForbiddenError(f"{principal.label} ({principal.role.name}) may not read the audit trail")
    page = list_entries(
        session,
        principal.tenant_id,
        actions=[a.value for a in action or ()],
        since=since,
        until=until,
        target=target,
        limit=limit,
        offset=offset,
    )
    return AuditList.of(page)
